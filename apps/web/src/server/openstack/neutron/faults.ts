import { isNimbusError, type ErrorCode, type FieldIssue, type NimbusError } from "@nimbus/core/errors";
import type { OsCall, OsReply, OsRoute } from "../service";

/**
 * Neutron's errors: `{"NeutronError": {"type": "NetworkNotFound", "message": "...", "detail": ""}}`
 * with the status Neutron answers. Core's errors become Neutron's in one place (`neutronRoutes`):
 * a route names its policy action (`create_network`) and, where Neutron has a type of its own
 * for a conflict or a refusal (NetworkInUse, SecurityGroupRuleExists), says which.
 */
export class NeutronFault extends Error {
  override readonly name = "NeutronFault";
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly detail = "",
  ) {
    super(message);
  }
}

export const neutronErrorBody = (type: string, message: string, detail = "") => ({ NeutronError: { type, message, detail } });

/** Neutron's `Invalid input for cidr. Reason: <reason>.` (one closing mark, whatever the reason ends with). */
const reasonFor = (attribute: string, reason: string) => `Invalid input for ${attribute}. Reason: ${/[.?!]$/.test(reason) ? reason : `${reason}.`}`;

/** 400 naming the attribute, in Neutron's words. */
export function invalidInput(attribute: string, reason: string): NeutronFault {
  return new NeutronFault(400, "HTTPBadRequest", reasonFor(attribute, reason));
}

/** Neutron's name of a core field: `gatewayIp` → `gateway_ip`, `groupId` → `security_group_id`. */
const FIELD_NAMES: Record<string, string> = {
  groupId: "security_group_id",
  routerExternal: "router:external",
  "provider.networkType": "provider:network_type",
  "provider.physicalNetwork": "provider:physical_network",
  "provider.segmentationId": "provider:segmentation_id",
};
export const attributeOf = (path: string) =>
  FIELD_NAMES[path] ??
  path
    .split(".")
    .map((part) => part.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .join(".");

/** What Neutron calls a missing resource of each kind core names, and how it words it. */
const NOT_FOUND: Record<string, { type: string; message: (id: string) => string }> = {
  Network: { type: "NetworkNotFound", message: (id) => `Network ${id} could not be found.` },
  Subnet: { type: "SubnetNotFound", message: (id) => `Subnet ${id} could not be found.` },
  Port: { type: "PortNotFound", message: (id) => `Port ${id} could not be found.` },
  "Security group": { type: "SecurityGroupNotFound", message: (id) => `Security group ${id} does not exist` },
  "Security group rule": { type: "SecurityGroupRuleNotFound", message: (id) => `Security group rule ${id} does not exist` },
  Router: { type: "RouterNotFound", message: (id) => `Router ${id} could not be found` },
  "Floating IP": { type: "FloatingIPNotFound", message: (id) => `Floating IP ${id} could not be found` },
};

export function notFoundFault(kind: keyof typeof NOT_FOUND, id: string): NeutronFault {
  const known = NOT_FOUND[kind]!;
  return new NeutronFault(404, known.type, known.message(id));
}

export function fieldIssuesOf(error: NimbusError): FieldIssue[] {
  const fields = (error.details as { fields?: FieldIssue[] } | undefined)?.fields;
  if (fields && fields.length > 0) return fields;
  // A verb's input that did not parse: its ZodError names the fields.
  const issues = (error.cause as { issues?: { path: PropertyKey[]; message: string }[] } | undefined)?.issues ?? [];
  return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}

/** Neutron's `Invalid input for <attribute>. Reason: ...` for each field core refused. */
export function badRequestFault(error: NimbusError): NeutronFault {
  const issues = fieldIssuesOf(error);
  if (issues.length === 0) return new NeutronFault(400, "HTTPBadRequest", error.message);
  const message = issues
    .slice(0, 5)
    .map((issue) => reasonFor(issue.path ? attributeOf(issue.path) : "operation", issue.message))
    .join(" ");
  return new NeutronFault(400, "HTTPBadRequest", message);
}

/** A policy refusal in Neutron's words (`rule:create_network is disallowed by policy`), with core's reason after it. */
export function policyFault(action: string, error: NimbusError): NeutronFault {
  const attributes = fieldIssuesOf(error).map((issue) => attributeOf(issue.path));
  const rule = attributes.length > 0 ? `(rule:${action} and ${attributes.map((a) => `rule:${action}:${a}`).join(" and ")})` : `rule:${action}`;
  return new NeutronFault(403, "PolicyNotAuthorized", `${rule} is disallowed by policy: ${error.message}`);
}

type FaultMap = Partial<Record<ErrorCode, (error: NimbusError, call: OsCall) => NeutronFault | null>>;

export interface NeutronRoute extends Omit<OsRoute, "handle"> {
  /** Neutron's policy action, named in a 403: `get_network`, `create_subnet`, ... */
  action: string;
  handle(call: OsCall): Promise<OsReply> | OsReply;
  /** Neutron's own type and words for some of core's refusals on this route. */
  faults?: FaultMap;
}

/** A domain error as Neutron answers it, or null for what the framework answers (a 500 it logs, a 401, a 429, ...). */
function faultOf(error: unknown, route: NeutronRoute, call: OsCall): NeutronFault | null {
  if (error instanceof NeutronFault) return error;
  if (!isNimbusError(error)) return null;
  const special = route.faults?.[error.code]?.(error, call);
  if (special) return special;
  switch (error.code) {
    case "NotFound": {
      const { kind, id } = (error.details ?? {}) as { kind?: string; id?: string };
      const known = kind ? NOT_FOUND[kind] : undefined;
      return known && id ? new NeutronFault(404, known.type, known.message(id)) : new NeutronFault(404, "HTTPNotFound", error.message);
    }
    case "Forbidden":
      return policyFault(route.action, error);
    case "BadRequest":
      return badRequestFault(error);
    case "Conflict":
    case "InvalidTransition":
      return new NeutronFault(409, "Conflict", error.message);
    case "QuotaExceeded":
      return new NeutronFault(409, "OverQuota", error.message);
    default:
      // Unauthenticated, TooManyRequests, Unavailable, ...: the framework's answer (status and error body).
      return null;
  }
}

/** The routes with core's errors answered as Neutron answers them. */
export function neutronRoutes(routes: NeutronRoute[]): OsRoute[] {
  return routes.map((route) => ({
    method: route.method,
    path: route.path,
    ...(route.anonymous ? { anonymous: true } : {}),
    ...(route.body ? { body: route.body } : {}),
    async handle(call: OsCall): Promise<OsReply> {
      try {
        return await route.handle(call);
      } catch (error) {
        const fault = faultOf(error, route, call);
        if (!fault) throw error;
        return { status: fault.status, body: neutronErrorBody(fault.type, fault.message, fault.detail) };
      }
    },
  }));
}
