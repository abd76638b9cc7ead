/** Placement's resource classes (Nova's standard ones that Nimbus tracks). */
export type ResourceClass = "VCPU" | "MEMORY_MB" | "DISK_GB";

/** One resource class of a provider (a compute host): capacity, overcommit and usage. */
export interface Inventory {
  total: number;
  reserved: number;
  allocationRatio: number;
  used: number;
}

/** What a consumer (an instance) takes of each resource class. */
export interface Resources {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}
