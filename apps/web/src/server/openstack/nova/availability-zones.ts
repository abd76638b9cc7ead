import { describeAvailabilityZones } from "@nimbus/core/hosts";
import type { OsRoute } from "../service";
import { checkQuery } from "./common";
import { COMPUTE_BINARY, hostsOf, hostUpdatedAt } from "./hosts";

/**
 * Nova's os-availability-zone: the compute zones (a host's zone is its AZ aggregate's, else the
 * default `nova`), available when an enabled host is in it. The detail, for cloud admins, names
 * each zone's enabled hosts and their nova-compute service; Nimbus has no internal zone.
 */
export const availabilityZoneRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v2.1/os-availability-zone",
    async handle(call) {
      checkQuery(call, [], "2.102");
      const zones = await describeAvailabilityZones({ ctx: call.ctx });
      // Nova lists the available zones first.
      const ordered = [...zones.filter((z) => z.available), ...zones.filter((z) => !z.available)];
      return {
        status: 200,
        body: { availabilityZoneInfo: ordered.map((z) => ({ zoneName: z.name, zoneState: { available: z.available }, hosts: null })) },
      };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-availability-zone/detail",
    async handle(call) {
      checkQuery(call, [], "2.102");
      const hosts = await hostsOf(call);
      const zones = [...new Set(hosts.map((h) => h.availabilityZone))].sort();
      const available = zones.filter((zone) => hosts.some((h) => h.availabilityZone === zone && h.enabled));
      const unavailable = zones.filter((zone) => !available.includes(zone));
      const info = [
        ...available.map((zone) => ({
          zoneName: zone,
          zoneState: { available: true },
          hosts: Object.fromEntries(
            hosts
              .filter((h) => h.availabilityZone === zone && h.enabled)
              .map((h) => [h.hostname, { [COMPUTE_BINARY]: { available: h.state === "up", active: true, updated_at: hostUpdatedAt(h) } }]),
          ),
        })),
        ...unavailable.map((zone) => ({ zoneName: zone, zoneState: { available: false }, hosts: null })),
      ];
      return { status: 200, body: { availabilityZoneInfo: info } };
    },
  },
];
