import { schema } from "@nimbus/db";
import { and, eq, inArray, isNotNull, isNull, lt, ne, or } from "@nimbus/db/orm";
import type { Services } from "../context";
import { Announcements } from "./announce";
import { enterPhase, hostnameOf, lockInstance, releaseAllocations } from "./lifecycle";
import { describeDown } from "../scheduler/explain";
import { downSince } from "../scheduler/host-states";
import { buildFailed } from "./record-report";
import { hostGiveUpAfterMs } from "../placement/usage";
import { SETTLED_VM_STATES, type VmState } from "../instance/state-machine";
import { evacuatedFrom, movingThrough } from "./actions/migrations";
import { finishDelete } from "./delete-instance";

/** Hosts down longer than `hostDownAfterMs` (gone without a session, or silent past giving up). */
function downHosts(services: Pick<Services, "db" | "hostDownAfterMs">) {
  const cutoff = new Date(Date.now() - services.hostDownAfterMs);
  return services.db
    .select({ id: schema.computeHosts.id })
    .from(schema.computeHosts)
    .where(
      or(
        and(isNull(schema.computeHosts.agentSessionId), lt(schema.computeHosts.updatedAt, cutoff)),
        lt(schema.computeHosts.lastHeartbeatAt, new Date(Date.now() - hostGiveUpAfterMs(services.hostDownAfterMs))),
      ),
    );
}

/**
 * Builds in flight on hosts that have been down longer than `hostDownAfterMs` are rescheduled
 * (or fail with a fault once attempts run out), their allocations freed. What the dead agent
 * left behind is destroyed by reconciliation when it comes back.
 */
export async function failBuildsOnDownHosts(services: Pick<Services, "db" | "publisher" | "hostDownAfterMs" | "buildRequested">): Promise<number> {
  const stranded = await services.db
    .select({ id: schema.instances.id })
    .from(schema.instances)
    .where(
      and(
        eq(schema.instances.vmState, "building"),
        ne(schema.instances.taskState, "deleting"),
        isNotNull(schema.instances.hostId),
        inArray(schema.instances.hostId, downHosts(services)),
      ),
    );
  for (const { id } of stranded) {
    const out = new Announcements();
    await services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, id);
      if (!instance?.hostId || instance.vmState !== "building" || instance.taskState === "deleting") return;
      const [row] = await tx
        .select({ hostname: schema.computeHosts.hostname, lastHeartbeatAt: schema.computeHosts.lastHeartbeatAt })
        .from(schema.computeHosts)
        .where(eq(schema.computeHosts.id, instance.hostId));
      const host = row?.hostname ?? instance.hostId;
      const why = describeDown(row ? downSince(row, services.hostDownAfterMs) : null);
      await buildFailed(tx, out, instance, host, `compute host ${host} went down during the build (${why})`);
    });
    out.flush(services.publisher);
  }
  if (stranded.length > 0) services.buildRequested();
  return stranded.length;
}

/**
 * Deletes whose host took the destroy and then went down before it reported the guest gone are
 * finished here, as Nova deletes locally when the compute service is down: allocations, ports
 * and quota freed. Should the host come back, reconciliation destroys the guest as an orphan.
 */
export async function finishDeletesOnDownHosts(services: Pick<Services, "db" | "publisher" | "hostDownAfterMs">): Promise<number> {
  const stranded = await services.db
    .select({ id: schema.instances.id })
    .from(schema.instances)
    .where(
      and(
        eq(schema.instances.taskState, "deleting"),
        ne(schema.instances.vmState, "deleted"),
        isNotNull(schema.instances.hostId),
        inArray(schema.instances.hostId, downHosts(services)),
      ),
    );
  for (const { id } of stranded) await finishDelete(services, id);
  return stranded.length;
}

/**
 * Reconciliation when an agent (re)registers: compares the domains libvirt has with what the
 * database says the host should run. Instances whose domain is gone go to ERROR with a fault
 * that says so; domains nobody knows (deleted meanwhile, rescheduled elsewhere, or never ours)
 * are returned so the caller destroys them after a grace period. A delete the host took before
 * it went away is finished when its domain is gone (Nova's "instance found in deleting state on
 * init, completing the delete"), and returned in `deleting` to be sent again when it is not.
 */
export async function reconcileHost(
  services: Pick<Services, "db" | "publisher">,
  { hostId, domains }: { hostId: string; domains: readonly string[] },
): Promise<{ unknownDomains: string[]; missingInstances: string[]; evacuatedDomains: string[]; deleting: string[] }> {
  // Guests evacuated away while this host was down: destroyed now (Nova's _destroy_evacuated_instances).
  const evacuatedDomains = await evacuatedFrom(services.db, hostId, domains);
  // A move's other side keeps its guest until the move is confirmed or reverted.
  const moving = await movingThrough(services.db, hostId);
  const expected = await services.db
    .select({ id: schema.instances.id, vmState: schema.instances.vmState, taskState: schema.instances.taskState })
    .from(schema.instances)
    .where(and(eq(schema.instances.hostId, hostId), ne(schema.instances.vmState, "deleted")));
  const onHost = new Set(domains);
  const known = new Set(expected.map((i) => i.id));
  // Settled instances whose domain is gone (a stopped, paused or suspended domain is still defined, so listed).
  const settled = (i: { vmState: string; taskState: string | null }) => SETTLED_VM_STATES.includes(i.vmState as VmState) && i.taskState === null;
  const missing = expected.filter((i) => settled(i) && !onHost.has(i.id)).map((i) => i.id);
  for (const id of missing) {
    const out = new Announcements();
    await services.db.transaction(async (tx) => {
      const instance = await lockInstance(tx, id);
      if (!instance || instance.hostId !== hostId || !settled(instance)) return;
      const host = await hostnameOf(tx, hostId);
      // The virtual machine is gone, so are the resources it held.
      await releaseAllocations(tx, out, instance.id);
      await enterPhase(tx, out, instance, "error", {
        host,
        powerState: "nostate",
        faultCode: "DomainMissing",
        details: `The instance's virtual machine is no longer on host ${host ?? hostId}; it may have been removed outside Nimbus.`,
      });
    });
    out.flush(services.publisher);
  }
  const deleting = expected.filter((i) => i.taskState === "deleting");
  for (const { id } of deleting) if (!onHost.has(id)) await finishDelete(services, id);
  const evacuated = new Set(evacuatedDomains);
  return {
    unknownDomains: domains.filter((d) => !known.has(d) && !moving.has(d) && !evacuated.has(d)),
    missingInstances: missing,
    evacuatedDomains,
    deleting: deleting.filter((i) => onHost.has(i.id)).map((i) => i.id),
  };
}
