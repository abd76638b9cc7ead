import { z } from "zod";
import { isUuid } from "./collections";
import { attributeOf, invalidInput, NeutronFault } from "./faults";

/**
 * A request body in Neutron's shape, `{"network": {...}}`, or 400 in Neutron's words: `Resource
 * body required`, `Unable to find 'network' in request body`, `Unrecognized attribute(s) 'foo'`,
 * `Invalid input for mtu. Reason: ...`. Attributes Neutron has and Nimbus does not honour are
 * accepted only with the value Nimbus gives them (so nothing asked for is silently dropped).
 */
export function parseResource<S extends z.ZodType>(schema: S, body: unknown, root: string): z.output<S> {
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new NeutronFault(400, "HTTPBadRequest", "Resource body required");
  }
  const resource = (body as Record<string, unknown>)[root];
  if (resource === undefined) {
    const keys = Object.keys(body);
    if (keys.includes(`${root}s`))
      throw new NeutronFault(400, "HTTPBadRequest", `Nimbus creates one ${root} per request: send "${root}", not "${root}s".`);
    throw new NeutronFault(400, "HTTPBadRequest", `Unable to find '${root}' in request body`);
  }
  const parsed = schema.safeParse(resource);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    throw new NeutronFault(400, "HTTPBadRequest", `Unrecognized attribute(s) '${issue.keys.map((k) => k.slice(0, 64)).join(", ")}'`);
  }
  const path = issue.path.map(String);
  // A Neutron attribute keeps its own name (`router:external`); nested paths name the item.
  const attribute = path.length === 0 ? root : [attributeOf(path[0]!), ...path.slice(1)].join(".");
  throw invalidInput(attribute, issue.message);
}

/** An attribute Nimbus has no choice in: accepted with the one value it has, else 400 saying why. */
export function onlyValue<T extends string | number | boolean | null>(value: T, why: string) {
  return z.literal(value, why).optional();
}

/** An empty list is all Nimbus takes (host routes, service types, ...). */
export function onlyEmpty(why: string) {
  return z.array(z.unknown()).max(0, why).optional();
}

/** Neutron's ids are UUIDs; a malformed one is a 400 naming the attribute. */
export const uuidValue = (what: string) =>
  z.string(`Give the ${what}'s id.`).refine(isUuid, { error: (issue) => `'${String(issue.input).slice(0, 64)}' is not a valid UUID` });

/** A whole number as Neutron takes it: 22 or "22". */
export function wholeNumber(what: string) {
  return z
    .union([
      z.number(),
      z
        .string()
        .regex(/^-?\d{1,10}$/, `${what} must be a whole number`)
        .transform(Number),
    ])
    .pipe(z.number().int(`${what} must be a whole number`));
}
