import { randomUUID } from "node:crypto";
import { rowsOf, schema, type Executor } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import type { Services } from "../context";
import { publicError } from "../errors";
import { MAX_PORTS_PER_REFRESH, type PortSpec } from "../protocol/index";
import { portSpecColumnsWhere, portSpecsFromJson } from "./ports";

/**
 * A rule of `groupId` was added or removed: every port bound to the group is due its new
 * filter on its host (Neutron's security group RPC to the agents), sent by `sendPortFilters`.
 * Runs in the rule's transaction, so the change and the duty commit together.
 */
export async function securityGroupRulesChanged(tx: Executor, groupId: string): Promise<void> {
  await tx.execute(sql`
    update ${schema.ports} set filter_generation = filter_generation + 1
    where id in (select port_id from ${schema.portSecurityGroups} where group_id = ${groupId}::uuid)`);
}

export interface PortFilterSweep {
  /** Ports whose host acknowledged their new filter. */
  applied: number;
  /** Hosts that did not acknowledge (refused, not connected, timed out): sent again later. */
  failed: { hostId: string; ports: number; error: string }[];
}

/** Instances whose ports have filters on their host: built, and not gone. */
export const FILTERED_VM_STATES = ["active", "stopped", "paused"] as const;

/** Most ports one sweep takes on. */
const PORTS_PER_SWEEP = 512;

/**
 * Sends the filters of ports that are behind to their hosts and records what each host
 * acknowledged. Only ports of built instances (a build takes the rules current when its
 * command is read, and a change during the build is sent once it is over) on a connected host;
 * a port sent and not acknowledged is sent again after `resendAfterMs`, by whichever web
 * process sweeps first (claimed with SKIP LOCKED and marked as sent).
 */
export async function sendPortFilters(services: Pick<Services, "db" | "agents">, { resendAfterMs }: { resendAfterMs: number }): Promise<PortFilterSweep> {
  const { ports, instances, computeHosts } = schema;
  const claimed = rowsOf<{ id: string; host_id: string; generation: number }>(
    await services.db.execute(sql`
      update ${ports} p set filter_sent_at = now()
      from (
        select behind.id, i.host_id from ${ports} behind
        join ${instances} i on i.id = behind.instance_id
        join ${computeHosts} h on h.id = i.host_id
        where behind.filter_generation > behind.filter_applied_generation
          and (behind.filter_sent_at is null or behind.filter_sent_at < now() - ${resendAfterMs} * interval '1 millisecond')
          and i.vm_state::text in (${sql.join(FILTERED_VM_STATES.map((state) => sql`${state}`), sql`, `)}) and i.task_state is distinct from 'deleting'
          and h.agent_session_id is not null
        order by behind.id
        limit ${PORTS_PER_SWEEP}
        for update of behind skip locked
      ) due
      where p.id = due.id
      returning p.id, due.host_id, p.filter_generation as generation`),
  );
  const sweep: PortFilterSweep = { applied: 0, failed: [] };
  if (claimed.length === 0) return sweep;

  // Read after the claim committed: rules at least as new as the generation claimed.
  const [columns] = rowsOf<{ ports: unknown; rules: unknown }>(
    await services.db.execute(sql`select ${portSpecColumnsWhere(sql`p.id in (select jsonb_array_elements_text(${JSON.stringify(claimed.map((c) => c.id))}::jsonb)::uuid)`)}`),
  );
  const specs = new Map(portSpecsFromJson(columns!.ports, columns!.rules).map((spec) => [spec.id, spec]));
  const byHost = new Map<string, { spec: PortSpec; generation: number }[]>();
  for (const { id, host_id, generation } of claimed) {
    const spec = specs.get(id);
    if (spec) byHost.set(host_id, [...(byHost.get(host_id) ?? []), { spec, generation }]);
  }

  await Promise.all(
    [...byHost].flatMap(([hostId, due]) =>
      chunks(due, MAX_PORTS_PER_REFRESH).map(async (chunk) => {
        const ack = await services.agents
          .refreshPorts(hostId, { commandId: randomUUID(), ports: chunk.map((d) => d.spec) })
          .catch((error: unknown) => ({ ok: false as const, error: publicError(error).message }));
        if (!ack.ok) {
          sweep.failed.push({ hostId, ports: chunk.length, error: ack.error });
          return;
        }
        const applied = JSON.stringify(chunk.map((d) => ({ id: d.spec.id, generation: d.generation })));
        await services.db.execute(sql`
          update ${ports} p set filter_applied_generation = greatest(p.filter_applied_generation, a.generation), filter_sent_at = null
          from jsonb_to_recordset(${applied}::jsonb) as a(id uuid, generation int)
          where p.id = a.id`);
        sweep.applied += chunk.length;
      }),
    ),
  );
  return sweep;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
