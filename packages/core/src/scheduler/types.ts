import type { Inventory, ResourceClass, Resources } from "../placement/types";

export type { Inventory, ResourceClass, Resources };

export interface AggregateInfo {
  name: string;
  availabilityZone: string | null;
  /** Projects the aggregate is reserved for; empty means open to all. */
  tenantProjectIds: readonly string[];
}

/** What the scheduler knows of a host: a snapshot read by the caller; no database here. */
export interface HostState {
  id: string;
  hostname: string;
  enabled: boolean;
  disabledReason: string | null;
  up: boolean;
  /** When a host that is not up was declared down (its last heartbeat plus the down time); null when never heard from. */
  downSince?: Date | null;
  hypervisorType: string;
  architecture: string | null;
  instanceCount: number;
  failedBuilds: number;
  aggregates: readonly AggregateInfo[];
  inventories: Record<ResourceClass, Inventory>;
}

export type ServerGroupPolicy = "affinity" | "anti-affinity" | "soft-affinity" | "soft-anti-affinity";

export interface GroupSpec {
  name: string;
  policy: ServerGroupPolicy;
  /** anti-affinity: members one host may hold (Nova's max_server_per_host, default 1). */
  maxServerPerHost: number;
  /** Host id → how many members are already there (placed or claimed). */
  membersByHost: ReadonlyMap<string, number>;
}

/** Everything about one instance to place (Nova's RequestSpec). */
export interface RequestSpec extends Resources {
  projectId?: string;
  /** Image properties that constrain hosts (architecture, hypervisor_type). */
  imageProperties?: Readonly<Record<string, string>>;
  availabilityZone?: string | null;
  /** Admin-only `zone:host`: only this host may be chosen. */
  forcedHost?: string | null;
  group?: GroupSpec | null;
  /** Hostnames this instance's build already failed on (a reschedule): the RetryFilter removes them. */
  triedHosts?: readonly string[];
}

export interface Rejection {
  /** Group key for the summary, e.g. "disabled" or "MEMORY_MB". */
  reason: string;
  resourceClass?: ResourceClass;
  free?: number;
  /** A down host: when it was declared down (null: its agent never answered). */
  downSince?: Date | null;
}

export interface Filter {
  name: string;
  /** null when the host passes, otherwise why not. */
  check(host: HostState, spec: RequestSpec): Rejection | null;
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
