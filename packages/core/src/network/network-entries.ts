import { randomUUID } from "node:crypto";
import { rowsOf, schema } from "@nimbus/db";
import { sql, type SQL } from "@nimbus/db/orm";
import { z } from "zod";
import type { Services } from "../context";
import { publicError } from "../errors";
import { DEVICE_OWNER } from "./router-rules";
import { MAX_NETWORK_ENTRIES, NETWORK_ENTRIES_OUT_OF_STEP, type ForwardingEntry, type NetworkEntriesCommand } from "../protocol/agent";

/**
 * The overlay's forwarding entries (Neutron's l2population driver), driven from the database.
 *
 * A port of a tenant network is reached on the host its instance is on, through that host's
 * tunnel address. Every host that has a port on a network keeps an entry for each port of the
 * network on the other hosts; a host without ports on the network is sent nothing about it.
 * Each sweep (every web process runs one ten times a second; one at a time, under an advisory
 * lock) takes the networks that triggers marked as changed (`network_entry_changes`: a port made
 * or deleted, an instance that changes host or goes, a host's new tunnel address, a host that
 * registers again), compares their ports as they are with the entries last published
 * (`network_entries`), publishes what changed under a new revision, and sends each host that has the network and has
 * not acknowledged that revision what changed since the revision it did acknowledge (a host
 * that never did, or registered again since, gets the whole list). So a port that binds, moves
 * or goes costs one message to each host of its network, carrying that one change; a host that
 * did not acknowledge is sent the changes again (from what it did acknowledge) after
 * `resendAfterMs`.
 */

/** `pg_try_advisory_xact_lock` class and key of the sweep: one web process publishes at a time. */
const SWEEP_LOCK_CLASS = 0x6e_6f_76; // "nov"
const SWEEP_LOCK_KEY = 1;

/** Instances whose ports are on their host (plugged, being plugged, or left there): all but deleted ones. */
const GONE_VM_STATE = "deleted";

/** A row of `network_entries` as a sweep reads it. */
export interface PublishedEntry {
  portId: string;
  mac: string;
  ip: string;
  hostId: string;
  dst: string;
  removed: boolean;
  revision: number;
}

/**
 * What host `hostId` is told about the `entries` of one network (the forwarding-entry
 * computation): a full list holds every live entry of the other hosts' ports; changes hold those
 * entries as upserts, and as removals every entry that went, or whose port is now on this host
 * itself (its own ports are on its bridge, never behind a tunnel).
 */
export function entriesForHost(
  hostId: string,
  entries: readonly PublishedEntry[],
  full: boolean,
): { upsert: ForwardingEntry[]; remove: { mac: string; ip: string }[] } {
  const upsert: ForwardingEntry[] = [];
  const remove: { mac: string; ip: string }[] = [];
  for (const entry of entries) {
    const gone = entry.removed || entry.hostId === hostId;
    if (!gone) upsert.push({ mac: entry.mac, ip: entry.ip, dst: entry.dst });
    else if (!full) remove.push({ mac: entry.mac, ip: entry.ip });
  }
  return { upsert, remove };
}

/** A host's due update of one network, as the claim returns it. */
interface DueUpdate {
  hostId: string;
  networkId: string;
  segmentationId: number;
  mtu: number;
  /** The revision the host acknowledged; -1: none, so it is sent the whole list. */
  fromRevision: number;
  toRevision: number;
}

/**
 * The commands that bring a host from `due.fromRevision` to `due.toRevision`: one, or for a
 * full list longer than MAX_NETWORK_ENTRIES, the first part as the full list and the rest as
 * changes from and to the same revision (see networkEntriesCommandSchema).
 */
export function networkEntriesCommands(due: DueUpdate, entries: readonly PublishedEntry[]): NetworkEntriesCommand[] {
  const full = due.fromRevision < 0;
  const { upsert, remove } = entriesForHost(due.hostId, entries, full);
  const base = { networkId: due.networkId, segmentationId: due.segmentationId, mtu: due.mtu, toRevision: due.toRevision };
  const commands: NetworkEntriesCommand[] = [];
  const parts = Math.max(1, Math.ceil(upsert.length / MAX_NETWORK_ENTRIES), Math.ceil(remove.length / MAX_NETWORK_ENTRIES));
  for (let part = 0; part < parts; part++) {
    const slice = <T>(list: T[]) => list.slice(part * MAX_NETWORK_ENTRIES, (part + 1) * MAX_NETWORK_ENTRIES);
    commands.push({
      ...base,
      commandId: randomUUID(),
      full: full && part === 0,
      fromRevision: part === 0 ? due.fromRevision : due.toRevision,
      upsert: slice(upsert),
      remove: slice(remove),
    });
  }
  return commands;
}

/** A host that did not take a network's entries: sent them again later. */
export type NetworkEntryFailure = { hostId: string; networkId: string; error: string };

/**
 * Publishes the changes of the ports' forwarding entries and claims the hosts' due updates, in
 * one transaction under the sweep's lock (null when another process holds it: its sweep does
 * the work). The published revisions therefore rise in commit order, and every revision a claim
 * names is committed when the claim is.
 */
async function publishAndClaim(db: Services["db"], { resendAfterMs, lookForResends }: SweepOptions): Promise<DueUpdate[] | null> {
  const { ports, instances, computeHosts, networks, networkEntries: entries, hostNetworkEntries: hosts, networkEntryChanges: changes } = schema;
  // Most sweeps: nothing marked, one statement and no transaction.
  if (!lookForResends && rowsOf(await db.execute(sql`select 1 from ${changes} limit 1`)).length === 0) return [];
  return db.transaction(async (tx) => {
    const [lock] = rowsOf<{ locked: boolean }>(
      await tx.execute(sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK_CLASS}::int, ${SWEEP_LOCK_KEY}::int) as locked`),
    );
    if (!lock?.locked) return null;
    // The networks the triggers marked since the last sweep (rows committed after this
    // statement's snapshot stay for the next one).
    const [marked] = rowsOf<{ networks: string[] | null }>(
      await tx.execute(sql`with taken as (delete from ${changes} returning network_id) select array_agg(distinct network_id) as networks from taken`),
    );
    const dirty = marked?.networks ?? [];
    if (dirty.length > 0) {
      const inDirty = (column: SQL) => sql`${column} in (select jsonb_array_elements_text(${JSON.stringify(dirty)}::jsonb)::uuid)`;
      // The entries of those networks as the ports are now: each port of an instance on a host
      // with a tunnel address, on a network of the overlay (a vlan network has no VNI: its
      // physical network carries its traffic, and it has no entries).
      const onOverlay = sql`exists (select 1 from ${schema.networks} n where n.id = p.network_id and n.segmentation_id is not null)`;
      const desired = sql`
        select p.id as port_id, p.network_id, p.mac_address, p.ip_address, h.id as host_id, h.tunnel_address
        from ${ports} p
        join ${instances} i on i.id = p.instance_id
        join ${computeHosts} h on h.id = i.host_id
        where ${inDirty(sql`p.network_id`)} and ${onOverlay} and h.tunnel_address is not null and i.vm_state::text <> ${GONE_VM_STATE}
        union all
        -- A router's interface is on the host that runs the router (routers.ts).
        select p.id, p.network_id, p.mac_address, p.ip_address, h.id, h.tunnel_address
        from ${ports} p
        join ${schema.routers} r on r.id = p.router_id
        join ${computeHosts} h on h.id = r.host_id
        where ${inDirty(sql`p.network_id`)} and ${onOverlay} and h.tunnel_address is not null and p.device_owner = ${DEVICE_OWNER.routerInterface}`;
      await tx.execute(sql`
        with desired as (${desired}),
        revision as materialized (select nextval('network_entry_revision_seq') as r),
        upserted as (
          insert into ${entries} (port_id, network_id, mac_address, ip_address, host_id, tunnel_address, removed, revision)
          select d.port_id, d.network_id, d.mac_address, d.ip_address, d.host_id, d.tunnel_address, false, revision.r
          from desired d cross join revision
          left join ${entries} e on e.port_id = d.port_id
          where e.port_id is null or e.removed
            or (e.network_id, e.mac_address, e.ip_address, e.host_id, e.tunnel_address)
               is distinct from (d.network_id, d.mac_address, d.ip_address, d.host_id, d.tunnel_address)
          on conflict (port_id) do update set
            network_id = excluded.network_id, mac_address = excluded.mac_address, ip_address = excluded.ip_address,
            host_id = excluded.host_id, tunnel_address = excluded.tunnel_address, removed = false, revision = excluded.revision
        ),
        gone as (
          update ${entries} e set removed = true, revision = (select r from revision)
          where ${inDirty(sql`e.network_id`)} and not e.removed and not exists (select 1 from desired d where d.port_id = e.port_id)
        ),
        wanted as (select distinct d.host_id, d.network_id from desired d),
        joined as (
          insert into ${hosts} (host_id, network_id)
          select w.host_id, w.network_id from wanted w
          where not exists (select 1 from ${hosts} t where t.host_id = w.host_id and t.network_id = w.network_id)
        )
        -- A host whose last port of a network went no longer hears of it (its agent removes the
        -- network's bridge and VXLAN device with that port); coming back, it gets the full list.
        delete from ${hosts} t
        where ${inDirty(sql`t.network_id`)} and not exists (select 1 from wanted w where w.host_id = t.host_id and w.network_id = t.network_id)`);
      // Tombstones every host of their network has applied (a host that has not applied anything
      // yet is sent the full list, which needs none).
      await tx.execute(sql`
        delete from ${entries} e where ${inDirty(sql`e.network_id`)} and e.removed and e.revision <= coalesce(
          (select min(t.applied_revision) from ${hosts} t where t.network_id = e.network_id and t.applied_revision >= 0), e.revision)`);
    } else if (!lookForResends) {
      return [];
    }
    const claimed = rowsOf<{ host_id: string; network_id: string; segmentation_id: number; mtu: number; from_revision: string; to_revision: string }>(
      await tx.execute(sql`
        with latest as (
          select n.id as network_id, n.segmentation_id, n.mtu, coalesce((select max(e.revision) from ${entries} e where e.network_id = n.id), 0) as revision
          from ${networks} n where n.id in (select distinct network_id from ${hosts}) and n.segmentation_id is not null
        )
        update ${hosts} t set sent_revision = l.revision, sent_at = now()
        from latest l, ${computeHosts} h
        where t.network_id = l.network_id and h.id = t.host_id and h.agent_session_id is not null and h.tunnel_address is not null
          and t.applied_revision < l.revision
          and (t.sent_at is null or t.sent_revision is distinct from l.revision or t.sent_at < now() - ${resendAfterMs} * interval '1 millisecond')
        returning t.host_id, t.network_id, l.segmentation_id, l.mtu, t.applied_revision::text as from_revision, l.revision::text as to_revision`),
    );
    return claimed.map((c) => ({
      hostId: c.host_id,
      networkId: c.network_id,
      segmentationId: Number(c.segmentation_id),
      mtu: Number(c.mtu),
      fromRevision: Number(c.from_revision),
      toRevision: Number(c.to_revision),
    }));
  });
}

/** How a sweep runs. */
export interface SweepOptions {
  /** A host that has not acknowledged what it was sent this long ago is sent it again. */
  resendAfterMs: number;
  /**
   * Whether to look for hosts due a resend (or that reconnected) even when no network changed;
   * a sweep that publishes changes always looks.
   */
  lookForResends: boolean;
}

const publishedRows = z.array(
  z.object({
    port_id: z.string(),
    network_id: z.string(),
    mac_address: z.string(),
    ip_address: z.string(),
    host_id: z.string(),
    tunnel_address: z.string(),
    removed: z.boolean(),
    revision: z.coerce.number(),
  }),
);

/** Per network, the published entries the due updates need: every live one for a full list, and those changed since the oldest revision acknowledged. */
async function entriesOf(db: Services["db"], due: DueUpdate[]): Promise<Map<string, PublishedEntry[]>> {
  const wants = new Map<string, { since: number; full: boolean }>();
  for (const d of due) {
    const want = wants.get(d.networkId) ?? { since: Number.MAX_SAFE_INTEGER, full: false };
    if (d.fromRevision < 0) want.full = true;
    else want.since = Math.min(want.since, d.fromRevision);
    wants.set(d.networkId, want);
  }
  const param = JSON.stringify([...wants].map(([network_id, w]) => ({ network_id, since: w.since, whole: w.full })));
  const rows = publishedRows.parse(
    rowsOf(
      await db.execute(sql`
        select e.port_id, e.network_id, e.mac_address, e.ip_address, e.host_id, e.tunnel_address, e.removed, e.revision
        from ${schema.networkEntries} e
        join jsonb_to_recordset(${param}::jsonb) as w(network_id uuid, since bigint, whole boolean) on w.network_id = e.network_id
        where e.revision > w.since or (w.whole and not e.removed)`),
    ),
  );
  const byNetwork = new Map<string, PublishedEntry[]>();
  for (const r of rows) {
    const list = byNetwork.get(r.network_id) ?? [];
    list.push({
      portId: r.port_id,
      mac: r.mac_address,
      ip: r.ip_address,
      hostId: r.host_id,
      dst: r.tunnel_address,
      removed: r.removed,
      revision: r.revision,
    });
    byNetwork.set(r.network_id, list);
  }
  return byNetwork;
}

/** The entries one host is sent: for a full list every live entry, otherwise those changed after its revision. */
function entriesDue(due: DueUpdate, entries: readonly PublishedEntry[]): PublishedEntry[] {
  return due.fromRevision < 0 ? entries.filter((e) => !e.removed) : entries.filter((e) => e.revision > due.fromRevision);
}

/** How long acknowledgements are gathered before they are written, all in one statement. */
const ACK_BATCH_MS = 25;

/**
 * One sweep of the overlay's forwarding entries (see the top of this file). Resolves once the
 * due commands are sent, with how many, to how many hosts, and how long publishing and reading
 * took; `acknowledged` settles later with the hosts that did not take theirs (never rejects),
 * each of which is sent its changes again later.
 */
export async function syncNetworkEntries(
  services: Pick<Services, "db" | "agents">,
  options: SweepOptions,
): Promise<{ sent: number; hosts: number; publishMs: number; acknowledged: Promise<NetworkEntryFailure[]> }> {
  const started = performance.now();
  const due = await publishAndClaim(services.db, options);
  if (!due || due.length === 0) return { sent: 0, hosts: 0, publishMs: performance.now() - started, acknowledged: Promise.resolve([]) };
  const entries = await entriesOf(services.db, due);
  const publishMs = performance.now() - started;

  const failed: NetworkEntryFailure[] = [];
  const recorder = new AckRecorder(services.db);
  let sent = 0;
  const sends = due.map(async (update) => {
    const commands = networkEntriesCommands(update, entriesDue(update, entries.get(update.networkId) ?? []));
    sent += commands.length;
    try {
      // In order: the parts of a long full list after its first part.
      for (const command of commands) {
        const ack = await services.agents.networkEntries(update.hostId, command);
        if (!ack.ok) {
          failed.push({ hostId: update.hostId, networkId: update.networkId, error: ack.error });
          recorder.refused(update, ack.error.startsWith(NETWORK_ENTRIES_OUT_OF_STEP));
          return;
        }
      }
      recorder.applied(update);
    } catch (error) {
      failed.push({ hostId: update.hostId, networkId: update.networkId, error: publicError(error).message });
    }
  });
  return { sent, hosts: due.length, publishMs, acknowledged: Promise.all(sends).then(() => recorder.close().then(() => failed)) };
}

/**
 * Writes what hosts acknowledged, gathered for ACK_BATCH_MS at a time, in one statement per
 * batch: an applied revision only ever rises; a host out of step (it missed a change, or its
 * agent restarted) is sent the full list at the next sweep; one that refused for another reason
 * is sent the full list once the resend delay is over.
 */
class AckRecorder {
  private applies: { host_id: string; network_id: string; revision: number }[] = [];
  private refusals: { host_id: string; network_id: string; now: boolean }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writes: Promise<void>[] = [];

  constructor(private readonly db: Services["db"]) {}

  applied(update: DueUpdate): void {
    this.applies.push({ host_id: update.hostId, network_id: update.networkId, revision: update.toRevision });
    this.schedule();
  }

  refused(update: DueUpdate, outOfStep: boolean): void {
    this.refusals.push({ host_id: update.hostId, network_id: update.networkId, now: outOfStep });
    this.schedule();
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.flush();
    await Promise.all(this.writes);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), ACK_BATCH_MS);
  }

  private flush(): void {
    this.timer = undefined;
    const applies = this.applies;
    const refusals = this.refusals;
    this.applies = [];
    this.refusals = [];
    const table = schema.hostNetworkEntries;
    if (applies.length > 0) {
      this.writes.push(
        this.db
          .execute(sql`
            update ${table} t set applied_revision = greatest(t.applied_revision, a.revision)
            from jsonb_to_recordset(${JSON.stringify(applies)}::jsonb) as a(host_id uuid, network_id uuid, revision bigint)
            where t.host_id = a.host_id and t.network_id = a.network_id`)
          // Not recorded: the host is sent these changes again once the resend delay is over.
          .then(noop, noop),
      );
    }
    if (refusals.length > 0) {
      this.writes.push(
        this.db
          .execute(sql`
            update ${table} t set applied_revision = -1, sent_at = case when a.now then null else t.sent_at end
            from jsonb_to_recordset(${JSON.stringify(refusals)}::jsonb) as a(host_id uuid, network_id uuid, now boolean)
            where t.host_id = a.host_id and t.network_id = a.network_id`)
          .then(noop, noop),
      );
    }
  }
}

function noop(): void {}
