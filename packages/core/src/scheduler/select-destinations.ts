import type { Executor } from "@nimbus/db";
import { PlacementClaims, type ClaimFollowUp } from "../placement/claim";
import { loadHostSnapshots, type HostSnapshot, type SnapshotQuery } from "./host-states";
import { selectHosts } from "./select";
import type { HostState, RequestSpec } from "./types";
import { weighersFor, type WeigherMultipliers } from "./weighers";

/** The scheduler's knobs; the web app fills them from its environment. */
export interface SchedulerSettings {
  /** Weigher multipliers (Nova's *_weight_multiplier); negative RAM/CPU/disk packs. */
  multipliers?: Partial<WeigherMultipliers>;
  /** Pick randomly among the best N hosts (Nova's host_subset_size). */
  hostSubsetSize?: number;
  /** Most placement candidates read per request (Nova's max_placement_results). */
  maxCandidates?: number;
}

/** Rounds of read, weigh and claim before a contended request is put back for a later pass. */
const CLAIM_RETRIES = 8;

/**
 * How the caller takes a host once its claim is won: `followUp` runs in the claim's own
 * statement (only if it claims); `settle` then records the host, or says the instance went
 * away (`gone`: the claim must already be given back) or that the host may no longer be taken
 * (`retry`: a server group's member took it meanwhile; read and weigh again).
 */
export interface Assignment<T> {
  followUp?: ClaimFollowUp;
  settle(followed: unknown): Promise<{ outcome: "assigned"; value: T } | { outcome: "gone" } | { outcome: "retry" }>;
}

export type Selection<T> =
  | { outcome: "assigned"; value: T }
  | { outcome: "gone" }
  /**
   * No host can take it: `explanation` says why, per filter; `filter` is the filter that
   * returned no hosts (Nova logs "Filter X returned 0 hosts"), null when there were none to filter.
   */
  | { outcome: "no_valid_host"; explanation: string; filter: string | null }
  /** Every claim lost its race for several rounds: try again later rather than fail. */
  | { outcome: "contended" };

/**
 * Nova's select_destinations: reads the candidates, filters and weighs them, claims the best in
 * placement and falls back on the alternates when a claim loses its race, re-reading after a
 * lost round. One selector per conductor: its placement claims keep the process's own
 * concurrent claims from racing each other.
 */
export class DestinationSelector {
  private readonly claims = new PlacementClaims();

  constructor(
    private readonly services: {
      db: Executor;
      scheduler?: SchedulerSettings;
      /** Hosts tried per instance before ERROR (the chosen one plus alternates). */
      maxAttempts: number;
      /** A host whose last heartbeat is older than this is down. */
      hostDownAfterMs: number;
    },
  ) {}

  /** A cache of candidate reads for one claimed batch of requests. */
  batch(): BatchCandidates {
    return new BatchCandidates();
  }

  /**
   * Places one instance: `tried` are hostnames it failed on already (a reschedule), `assign`
   * says how a won host is taken. The fast path reads only placement candidates; when they
   * yield nothing, every host is read, both to be sure and to explain the refusal per filter.
   */
  async select<T>(
    request: { instanceId: string; spec: RequestSpec; tried: ReadonlySet<string> },
    candidates: BatchCandidates,
    assign: (host: HostState) => Promise<Assignment<T>>,
  ): Promise<Selection<T>> {
    const { db, hostDownAfterMs: downAfterMs } = this.services;
    const settings = this.services.scheduler ?? {};
    const { spec, tried } = request;
    // Claims race: rank a few more hosts than the attempts, to fall back on without re-reading.
    const options = {
      maxAttempts: Math.max(this.services.maxAttempts, 10),
      hostSubsetSize: settings.hostSubsetSize ?? 1,
      weighers: weighersFor(settings.multipliers),
    };
    // Hosts this build already failed on are removed by the RetryFilter, on both reads, so a
    // refusal's explanation counts them (as down, say, when the build failed because its host died).
    const retry = { ...spec, triedHosts: [...tried] };
    for (let round = 0; round < CLAIM_RETRIES; round++) {
      const order = (settings.multipliers?.ram ?? 1) < 0 ? "pack" : "spread";
      // The batch's requests with the same needs share one candidate read (after a lost claim,
      // a fresh one). Snapshots read before this process's latest claims are brought up to
      // them, so requests placed from one read still see each other (Nova's consume_from_request).
      const query = { downAfterMs, candidatesFor: spec, limit: settings.maxCandidates ?? 100, order } as const;
      const read = round === 0 ? candidates.read(db, query) : loadHostSnapshots(db, query);
      let hosts = this.claims.refresh(await read);
      let result = selectHosts(hosts, retry, options);
      if (!result.ok) {
        // Every host, to be sure and to explain the refusal per filter.
        hosts = this.claims.refresh(await loadHostSnapshots(db, { downAfterMs }));
        result = selectHosts(hosts, retry, options);
      }
      if (!result.ok) {
        const filter = result.outcomes.findLast((outcome) => outcome.removed > 0)?.filter ?? null;
        return { outcome: "no_valid_host", explanation: result.explanation, filter };
      }
      for (const host of result.hosts) {
        const snapshot = hosts.find((h) => h.id === host.id) ?? { ...host, generation: 0 };
        const assignment = await assign(host);
        const { outcome, followed } = await this.claims.claim(db, snapshot, { instanceId: request.instanceId, resources: spec }, assignment.followUp);
        // Someone claimed on that host since it was read: its alternates were read at the same
        // moment and are likely still good, so try them before re-reading everything.
        if (outcome === "insufficient" || outcome === "conflict") continue;
        const settled = await assignment.settle(followed);
        if (settled.outcome !== "retry") return settled;
        break; // a group member took that host meanwhile: re-read and re-weigh
      }
    }
    return { outcome: "contended" };
  }
}

/**
 * One claimed batch's reads of placement candidates, shared by its requests with the same
 * needs (resources, zone, forced host, project): fifty launches of one flavor cost one read,
 * not fifty. Valid for one batch only; claims are what settle races, never these reads.
 */
export class BatchCandidates {
  private readonly reads = new Map<string, Promise<HostSnapshot[]>>();

  read(db: Executor, query: SnapshotQuery & { candidatesFor: RequestSpec }): Promise<HostSnapshot[]> {
    const spec = query.candidatesFor;
    const key = JSON.stringify([
      spec.vcpus,
      spec.memoryMb,
      spec.diskGb,
      spec.availabilityZone ?? null,
      spec.forcedHost ?? null,
      spec.projectId ?? null,
    ]);
    let read = this.reads.get(key);
    if (!read) {
      read = loadHostSnapshots(db, query);
      // A failed read is not kept: the next request reads again.
      read.catch(() => this.reads.delete(key));
      this.reads.set(key, read);
    }
    return read;
  }
}
