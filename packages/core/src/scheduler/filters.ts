import { free } from "./capacity";
import type { Filter, RequestSpec, ResourceClass } from "./types";

/** ComputeFilter: the host's service is enabled and its agent is up. */
export const computeFilter: Filter = {
  name: "ComputeFilter",
  check(host) {
    if (!host.enabled) return { reason: "disabled" };
    if (!host.up) return { reason: "down" };
    return null;
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
      const available = free(host.inventories[rc]);
      if (demand[rc](spec) > available) return { reason: rc, resourceClass: rc, free: available };
    }
    return null;
  },
};

export const defaultFilters: readonly Filter[] = [computeFilter, resourceFitFilter];
