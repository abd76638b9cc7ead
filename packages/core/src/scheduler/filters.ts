import { free } from "./capacity";
import type { Filter, HostState, RequestSpec, ResourceClass } from "./types";

/** Nova's default_availability_zone: hosts in no AZ aggregate are in it. */
export const DEFAULT_AVAILABILITY_ZONE = "nova";

export function availabilityZonesOf(host: Pick<HostState, "aggregates">): string[] {
  const zones = host.aggregates.flatMap((a) => (a.availabilityZone ? [a.availabilityZone] : []));
  return zones.length > 0 ? [...new Set(zones)] : [DEFAULT_AVAILABILITY_ZONE];
}

/** ComputeFilter: the host's service is enabled and its agent is up. */
export const computeFilter: Filter = {
  name: "ComputeFilter",
  check(host) {
    if (!host.enabled) return { reason: "disabled" };
    if (!host.up) return host.downSince ? { reason: "down", downSince: host.downSince } : { reason: "down" };
    return null;
  },
};

/** RetryFilter: a rescheduled build does not go back to a host it already failed on. */
export const retryFilter: Filter = {
  name: "RetryFilter",
  check(host, spec) {
    return spec.triedHosts?.includes(host.hostname) ? { reason: "already tried for this build" } : null;
  },
};

/** Admin-only `zone:host`: every other host is out. */
export const forcedHostFilter: Filter = {
  name: "ForcedHostFilter",
  check(host, spec) {
    return spec.forcedHost && host.hostname !== spec.forcedHost ? { reason: `not the requested host ${spec.forcedHost}` } : null;
  },
};

export const availabilityZoneFilter: Filter = {
  name: "AvailabilityZoneFilter",
  check(host, spec) {
    if (!spec.availabilityZone) return null;
    return availabilityZonesOf(host).includes(spec.availabilityZone) ? null : { reason: `not in zone ${spec.availabilityZone}` };
  },
};

/** AggregateMultiTenancyIsolation: hosts of a reserved aggregate take only its projects. */
export const aggregateTenancyFilter: Filter = {
  name: "AggregateMultiTenancyIsolation",
  check(host, spec) {
    const reserved = host.aggregates.filter((a) => a.tenantProjectIds.length > 0);
    if (reserved.length === 0) return null;
    return spec.projectId && reserved.some((a) => a.tenantProjectIds.includes(spec.projectId!)) ? null : { reason: "reserved for other projects" };
  },
};

const demand: Record<ResourceClass, (spec: RequestSpec) => number> = {
  VCPU: (s) => s.vcpus,
  MEMORY_MB: (s) => s.memoryMb,
  DISK_GB: (s) => s.diskGb,
};

/** Resource fit, as placement's allocation candidates: every class must have room after ratios. */
export const resourceFitFilter: Filter = {
  name: "ResourceFilter",
  check(host, spec) {
    for (const rc of ["MEMORY_MB", "VCPU", "DISK_GB"] as const) {
      // Placement's max_unit: one instance never gets more than the host physically has.
      if (demand[rc](spec) > host.inventories[rc].total)
        return { reason: rc, resourceClass: rc, free: Math.min(free(host.inventories[rc]), host.inventories[rc].total) };
      const available = free(host.inventories[rc]);
      if (demand[rc](spec) > available) return { reason: rc, resourceClass: rc, free: available };
    }
    return null;
  },
};

/** ImagePropertiesFilter: the image's architecture and hypervisor type must match the host's. */
export const imagePropertiesFilter: Filter = {
  name: "ImagePropertiesFilter",
  check(host, spec) {
    const arch = spec.imageProperties?.architecture;
    if (arch && host.architecture && arch !== host.architecture) return { reason: `had architecture ${host.architecture} (image needs ${arch})` };
    const hv = spec.imageProperties?.hypervisor_type;
    if (hv && hv.toLowerCase() !== host.hypervisorType.toLowerCase()) return { reason: `had hypervisor ${host.hypervisorType} (image needs ${hv})` };
    return null;
  },
};

export const serverGroupAffinityFilter: Filter = {
  name: "ServerGroupAffinityFilter",
  check(host, spec) {
    const group = spec.group;
    if (group?.policy !== "affinity" || group.membersByHost.size === 0) return null;
    return group.membersByHost.has(host.id) ? null : { reason: `did not hold group ${group.name}'s members` };
  },
};

export const serverGroupAntiAffinityFilter: Filter = {
  name: "ServerGroupAntiAffinityFilter",
  check(host, spec) {
    const group = spec.group;
    if (group?.policy !== "anti-affinity") return null;
    const here = group.membersByHost.get(host.id) ?? 0;
    return here >= group.maxServerPerHost ? { reason: `already had ${here} member${here === 1 ? "" : "s"} of group ${group.name}` } : null;
  },
};

/** In Nova's order: cheap and decisive first. */
export const defaultFilters: readonly Filter[] = [
  forcedHostFilter,
  computeFilter,
  retryFilter,
  availabilityZoneFilter,
  aggregateTenancyFilter,
  imagePropertiesFilter,
  resourceFitFilter,
  serverGroupAffinityFilter,
  serverGroupAntiAffinityFilter,
];
