import type { z } from "zod";
import { OsRefusal } from "./service";

/**
 * A request body in a service's wire shape, or 400 naming the field and what is wrong with it
 * (the clients print the message only), e.g. `Invalid input for field/attribute server.flavorRef:
 * expected string, received number.` as Nova words it.
 */
export function parseWire<S extends z.ZodType>(schema: S, body: unknown, root: string): z.output<S> {
  if (body === undefined) throw new OsRefusal(400, "BadRequest", `The request needs a JSON body with a "${root}" object.`);
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".");
  const what =
    issue.code === "unrecognized_keys"
      ? `Additional properties are not allowed (${issue.keys.map((k) => `'${k}'`).join(", ")} unexpected)`
      : issue.message;
  throw new OsRefusal(400, "BadRequest", field ? `Invalid input for field/attribute ${field}. Value: ${what}.` : `Invalid input: ${what}.`);
}

/** A query parameter that must be a whole number in a range (limit), or 400 naming it. */
export function intParam(query: URLSearchParams, name: string, { min, max }: { min: number; max: number }): number | null {
  const raw = query.get(name);
  if (raw === null) return null;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OsRefusal(400, "BadRequest", `Invalid ${name}: ${JSON.stringify(raw.slice(0, 32))} (a whole number from ${min} to ${max}).`);
  }
  return value;
}
