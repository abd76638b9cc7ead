import { listHosts } from "@nimbus/core/hosts";
import { atLeast, badRequest, notFound, type OsCall } from "../service";
import { canonicalUuid, naiveTime } from "./common";

/**
 * A Nimbus compute host is, in Nova's words, one nova-compute service and one hypervisor (compute
 * node) on it: os-services, os-hypervisors and os-availability-zone all read the hosts inventory
 * (listHosts, cloud admins). Below microversion 2.53 both are named by the host's number, from
 * 2.53 by its id (a UUID).
 */
export type Host = Awaited<ReturnType<typeof listHosts>>[number];

export const COMPUTE_BINARY = "nova-compute";

export const hostsOf = (call: OsCall) => listHosts({ ctx: call.ctx });

/** The id a host's service or hypervisor has at the call's microversion. */
export const hostApiId = (call: OsCall, host: Host): string | number => (atLeast(call, "2.53") ? host.id : host.number);

/**
 * The host a path id names, as Nova checks it: a UUID from 2.53 (else 400 `Invalid uuid`),
 * before it a whole number (else a 400 for a service, and for a hypervisor the 404 Nova gives).
 */
export function hostByApiId(call: OsCall, hosts: Host[], raw: string, what: "Hypervisor" | "Service"): Host {
  const missing = (): never => {
    throw notFound(
      what === "Hypervisor" ? `Hypervisor with ID '${raw.slice(0, 64)}' could not be found.` : `Service ${raw.slice(0, 64)} could not be found.`,
    );
  };
  if (atLeast(call, "2.53")) {
    const id = canonicalUuid(raw);
    if (!id) throw badRequest(`Invalid uuid ${raw.slice(0, 64)}`);
    return hosts.find((h) => h.id === id) ?? missing();
  }
  if (!/^\d+$/.test(raw)) {
    if (what === "Service") throw badRequest("Invalid input received: id must be an integer.");
    return missing();
  }
  return hosts.find((h) => h.number === Number(raw)) ?? missing();
}

/** The last time the host's agent was heard from, as Nova writes a service's `updated_at`. */
export const hostUpdatedAt = (host: Host) => naiveTime(host.lastHeartbeatAt ? new Date(host.lastHeartbeatAt) : null);
