export type ResourceClass = "VCPU" | "MEMORY_MB" | "DISK_GB";

export interface Inventory {
  total: number;
  reserved: number;
  allocationRatio: number;
  used: number;
}

/** What the scheduler knows of a host: a snapshot, read by the caller; no database here. */
export interface HostState {
  id: string;
  hostname: string;
  enabled: boolean;
  disabledReason: string | null;
  up: boolean;
  instanceCount: number;
  inventories: Record<ResourceClass, Inventory>;
}

export interface RequestSpec {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export type Filter = {
  name: string;
  /** null when the host passes, otherwise the reason code for the summary. */
  check(host: HostState, spec: RequestSpec): Rejection | null;
};

export interface Rejection {
  /** Group key for the summary, e.g. "disabled" or "MEMORY_MB". */
  reason: string;
  resourceClass?: ResourceClass;
  free?: number;
}

export interface Weigher {
  name: string;
  multiplier: number;
  /** Raw value; normalised over the candidates before the multiplier is applied. */
  value(host: HostState, spec: RequestSpec): number;
}

export interface FilterOutcome {
  filter: string;
  removed: number;
  reasons: Rejection[];
}

export type ScheduleResult =
  | { ok: true; hosts: HostState[]; considered: number }
  | { ok: false; considered: number; outcomes: FilterOutcome[]; explanation: string };
