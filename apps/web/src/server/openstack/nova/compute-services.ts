import { z } from "zod";
import { updateHost } from "@nimbus/core/hosts";
import { atLeast, badRequest, notFound, type OsCall, type OsRoute } from "../service";
import { parseWire } from "../wire";
import { checkQuery, novaBoolean } from "./common";
import { COMPUTE_BINARY, hostApiId, hostByApiId, hostsOf, hostUpdatedAt, type Host } from "./hosts";

/**
 * Nova's os-services: one nova-compute service per compute host (the web process's own
 * scheduler and conductor are not listed). Enabling and disabling is the hosts' updateHost, so
 * the console's host inventory and the audit trail show it.
 * There is no forced-down: a host is down when its agent is silent.
 */

function serviceView(call: OsCall, host: Host) {
  return {
    id: hostApiId(call, host),
    binary: COMPUTE_BINARY,
    host: host.hostname,
    zone: host.availabilityZone,
    status: host.enabled ? "enabled" : "disabled",
    state: host.state,
    updated_at: hostUpdatedAt(host),
    disabled_reason: host.disabledReason,
    ...(atLeast(call, "2.11") ? { forced_down: false } : {}),
  };
}

const noForcedDown = () => badRequest("Nimbus has no forced-down services: a host is down when its agent stops answering.");

/**
 * What a disable without a reason records: Nimbus keeps a reason for every disabled host (the
 * console asks for one), Nova's API makes it optional.
 */
export const NO_REASON_GIVEN = "Disabled through the compute API; no reason given.";

/** Enables or disables a host's scheduling (updateHost: cloud admins, audited, shown in the console). */
async function setEnabled(call: OsCall, host: Host, enabled: boolean, reason: string | null | undefined) {
  await updateHost({ ctx: call.ctx, input: { id: host.id, enabled, ...(enabled ? {} : { disabledReason: reason || NO_REASON_GIVEN }) } });
}

const legacyBody = z
  .object({
    host: z.string().min(1).max(255),
    binary: z.string().min(1).max(255),
    disabled_reason: z.string().min(1).max(255).optional(),
    forced_down: novaBoolean.optional(),
  })
  .strict();
const updateBody = z
  .object({
    status: z.enum(["enabled", "disabled"]).optional(),
    disabled_reason: z.string().min(1).max(255).optional(),
    forced_down: novaBoolean.optional(),
  })
  .strict();

/** Before 2.53: PUT /os-services/{enable|disable|disable-log-reason|force-down} with the host and binary in the body. */
async function legacyUpdate(call: OsCall, action: string) {
  const actions = ["enable", "disable", "disable-log-reason", ...(atLeast(call, "2.11") ? ["force-down"] : [])];
  const body = parseWire(legacyBody, call.body, "host");
  if (body.forced_down !== undefined && !atLeast(call, "2.11")) {
    throw badRequest("Invalid input for field/attribute forced_down. Value: Additional properties are not allowed ('forced_down' was unexpected).");
  }
  const hosts = await hostsOf(call);
  if (!actions.includes(action)) throw notFound("Unknown action");
  if (body.binary !== COMPUTE_BINARY)
    throw badRequest(`Updating a ${body.binary.slice(0, 64)} service is not supported. Only nova-compute services can be updated.`);
  const host = hosts.find((h) => h.hostname === body.host);
  if (!host) throw notFound(`Could not find binary ${body.binary} on host ${body.host.slice(0, 255)}.`);
  if (action === "force-down") {
    if (body.forced_down === undefined) throw badRequest("Missing forced_down field");
    throw noForcedDown();
  }
  if (action === "disable-log-reason" && body.disabled_reason === undefined) throw badRequest("Missing disabled reason field");
  const enabled = action === "enable";
  const reason = action === "disable-log-reason" ? body.disabled_reason : undefined;
  await setEnabled(call, host, enabled, reason);
  return {
    service: {
      host: host.hostname,
      binary: COMPUTE_BINARY,
      status: enabled ? "enabled" : "disabled",
      ...(reason ? { disabled_reason: reason } : {}),
    },
  };
}

export const computeServiceRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-services",
    async handle(call) {
      checkQuery(call, ["host", "binary"]);
      const host = call.query.get("host");
      const binary = call.query.get("binary");
      const services = (await hostsOf(call)).filter((h) => !host || h.hostname === host).filter(() => !binary || binary === COMPUTE_BINARY);
      return { status: 200, body: { services: services.map((h) => serviceView(call, h)) } };
    },
  },
  {
    method: "PUT",
    path: "/v2.1/os-services/:serviceId",
    async handle(call) {
      if (!atLeast(call, "2.53")) return { status: 200, body: await legacyUpdate(call, call.params.serviceId!) };
      const body = parseWire(updateBody, call.body, "status");
      const hosts = await hostsOf(call);
      const host = hostByApiId(call, hosts, call.params.serviceId!, "Service");
      if (body.status === "enabled" && body.disabled_reason) throw badRequest("Specifying 'disabled_reason' with status 'enabled' is invalid.");
      if (body.forced_down === true) throw noForcedDown();
      if (body.status === undefined && body.forced_down === undefined) {
        throw badRequest("No updates were requested. Fields 'status' or 'forced_down' should be specified.");
      }
      if (body.status !== undefined) await setEnabled(call, host, body.status === "enabled", body.disabled_reason);
      const updated = (await hostsOf(call)).find((h) => h.id === host.id) ?? host;
      return { status: 200, body: { service: { ...serviceView(call, updated), forced_down: false } } };
    },
  },
];
