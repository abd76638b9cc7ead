import { rowsOf, schema } from "@nimbus/db";
import { and, eq, isNotNull, lt, sql } from "@nimbus/db/orm";
import type { Services } from "../context";
import type { HostRegistration } from "../protocol/agent";

/**
 * A compute agent (re)registers its host: inventory as libvirt reports it, and the socket
 * session now serving the host. Ratios and reserved amounts an operator set are kept.
 */
export async function registerHost(
  services: Pick<Services, "db" | "publisher">,
  { hostname, agentVersion, sessionId, registration }: { hostname: string; agentVersion: string; sessionId: string; registration: HostRegistration },
): Promise<{ hostId: string }> {
  const now = new Date();
  const inventory = {
    hypervisorType: registration.hypervisorType,
    hypervisorUri: registration.hypervisorUri,
    cpuModel: registration.cpuModel,
    vcpusTotal: registration.vcpus,
    memoryMbTotal: registration.memoryMb,
    diskGbTotal: registration.diskGb,
    agentSessionId: sessionId,
    agentVersion,
    tunnelAddress: registration.tunnelAddress ?? null,
    physicalNetworks: registration.physicalNetworks ?? [],
    lastHeartbeatAt: now,
    updatedAt: now,
  };
  const [row] = await services.db
    .insert(schema.computeHosts)
    .values({ hostname, ...inventory })
    .onConflictDoUpdate({ target: schema.computeHosts.hostname, set: { ...inventory, generation: sql`${schema.computeHosts.generation} + 1` } })
    .returning({ id: schema.computeHosts.id });
  if (!row) throw new Error("host upsert returned nothing");
  // The host's ipsets are kernel state, gone if it restarted: every member set it needs is sent again.
  await services.db.delete(schema.hostGroupMembers).where(eq(schema.hostGroupMembers.hostId, row.id));
  // So are its VXLAN devices and forwarding entries: every network's entries are sent afresh, in
  // full (its networks are marked for the network entry sweep, which makes its rows anew).
  await services.db.execute(sql`
    with forgotten as (delete from ${schema.hostNetworkEntries} where host_id = ${row.id}::uuid returning network_id)
    insert into ${schema.networkEntryChanges} (network_id) select distinct network_id from forgotten`);
  // And its routers' namespaces: it is sent its router list again (routers.sync).
  await services.db.update(schema.routerHostSync).set({ appliedDigest: null, sentAt: null }).where(eq(schema.routerHostSync.hostId, row.id));
  services.publisher.hostChanged({ hostId: row.id });
  return { hostId: row.id };
}

/**
 * Heartbeats of many agents in one statement (the web process gathers those of a quarter
 * second): each counts only from the connection that serves its host now. Returns the sessions
 * whose heartbeat no longer counts (their host went silent and is served by no one, or by a
 * newer connection), which the caller drops so the agent re-registers.
 */
export async function recordHeartbeats(services: Pick<Services, "db">, beats: { hostId: string; sessionId: string }[]): Promise<Set<string>> {
  if (beats.length === 0) return new Set();
  const rows = rowsOf<{ sid: string }>(
    await services.db.execute(sql`
      update ${schema.computeHosts} h set last_heartbeat_at = now()
      from jsonb_to_recordset(${JSON.stringify(beats.map((b) => ({ id: b.hostId, sid: b.sessionId })))}::jsonb) as v(id uuid, sid text)
      where h.id = v.id and h.agent_session_id = v.sid
      returning v.sid`),
  );
  const counted = new Set(rows.map((r) => r.sid));
  return new Set(beats.filter((b) => !counted.has(b.sessionId)).map((b) => b.sessionId));
}

/**
 * The agent's connection closed. Known at once, but not yet a dead host: an agent that restarts
 * or loses its server for a moment reconnects within seconds. Its silence is dated back so that
 * the host is declared down (by `expireSilentHosts`) once the reconnect grace passes without a
 * new registration, instead of after the whole down time; a newer session is left alone.
 */
export async function hostDisconnected(
  services: Pick<Services, "db" | "hostDownAfterMs" | "hostReconnectGraceMs">,
  hostId: string,
  sessionId: string,
): Promise<void> {
  const graceMs = Math.min(services.hostReconnectGraceMs, services.hostDownAfterMs);
  const silentSince = new Date(Date.now() - services.hostDownAfterMs + graceMs);
  await services.db
    .update(schema.computeHosts)
    .set({ lastHeartbeatAt: sql`least(${schema.computeHosts.lastHeartbeatAt}, ${silentSince.toISOString()}::timestamptz)`, updatedAt: new Date() })
    .where(and(eq(schema.computeHosts.id, hostId), eq(schema.computeHosts.agentSessionId, sessionId)));
}

/**
 * Hosts whose agent went silent (no heartbeat within hostDownAfterMs although the socket is
 * still open: a stopped process or a cut network) are marked down and announced.
 */
export async function expireSilentHosts(services: Pick<Services, "db" | "publisher" | "hostDownAfterMs">): Promise<number> {
  const cutoff = new Date(Date.now() - services.hostDownAfterMs);
  const rows = await services.db
    .update(schema.computeHosts)
    .set({ agentSessionId: null, updatedAt: new Date() })
    .where(and(isNotNull(schema.computeHosts.agentSessionId), lt(schema.computeHosts.lastHeartbeatAt, cutoff)))
    .returning({ id: schema.computeHosts.id });
  for (const { id } of rows) services.publisher.hostChanged({ hostId: id });
  return rows.length;
}
