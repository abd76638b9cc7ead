import { randomUUID } from "node:crypto";
import { rowsOf, schema, type Executor } from "@nimbus/db";
import { sql, type SQL } from "@nimbus/db/orm";
import type { Services } from "../context";
import { publicError } from "../errors";
import { MAX_PORTS_PER_REFRESH, type CommandAck, type PortSpec } from "../protocol/agent";
import { cidrsOfAddresses } from "./ipam";
import { groupMemberAddresses, portSpecColumnsWhere, portSpecsFromJson } from "./ports";

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

/** Hosts that did not take their ports' filters (refused, not connected, timed out): sent again later. */
export type PortFilterFailure = { hostId: string; ports: number; error: string };

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
async function sendPortFilters(
  services: Pick<Services, "db" | "agents">,
  { resendAfterMs }: { resendAfterMs: number },
): Promise<Acknowledgements<PortFilterFailure>> {
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
          and i.vm_state::text in (${sql.join(
            FILTERED_VM_STATES.map((state) => sql`${state}`),
            sql`, `,
          )}) and i.task_state is distinct from 'deleting'
          and h.agent_session_id is not null
        order by behind.id
        limit ${PORTS_PER_SWEEP}
        for update of behind skip locked
      ) due
      where p.id = due.id
      returning p.id, due.host_id, p.filter_generation as generation`),
  );
  if (claimed.length === 0) return { failures: Promise.resolve([]) };

  // Read after the claim committed: rules at least as new as the generation claimed.
  const [columns] = rowsOf<{ ports: unknown; rules: unknown }>(
    await services.db.execute(
      sql`select ${portSpecColumnsWhere(sql`p.id in (select jsonb_array_elements_text(${JSON.stringify(claimed.map((c) => c.id))}::jsonb)::uuid)`)}`,
    ),
  );
  const specs = new Map(portSpecsFromJson(columns!.ports, columns!.rules).map((spec) => [spec.id, spec]));
  const byHost = new Map<string, { spec: PortSpec; generation: number }[]>();
  for (const { id, host_id, generation } of claimed) {
    const spec = specs.get(id);
    if (spec) byHost.set(host_id, [...(byHost.get(host_id) ?? []), { spec, generation }]);
  }

  const failed: PortFilterFailure[] = [];
  const sends = [...byHost].flatMap(([hostId, due]) =>
    chunks(due, MAX_PORTS_PER_REFRESH).map((chunk) =>
      acknowledged(
        services.agents.refreshPorts(hostId, { commandId: randomUUID(), ports: chunk.map((d) => d.spec) }),
        async () => {
          const applied = JSON.stringify(chunk.map((d) => ({ id: d.spec.id, generation: d.generation })));
          await services.db.execute(sql`
            update ${ports} p set filter_applied_generation = greatest(p.filter_applied_generation, a.generation), filter_sent_at = null
            from jsonb_to_recordset(${applied}::jsonb) as a(id uuid, generation int)
            where p.id = a.id`);
        },
        (error) => failed.push({ hostId, ports: chunk.length, error }),
      ),
    ),
  );
  return { failures: Promise.all(sends).then(() => failed) };
}

/**
 * The hosts' answers to what a sweep sent, awaited apart from the sweep (wrapped, so that
 * awaiting the sweep does not wait for them); never rejects: every failure is in the list.
 */
interface Acknowledgements<Failure> {
  failures: Promise<Failure[]>;
}

/** Runs `record` once `command` is acknowledged; any failure, with its reason, goes to `failed`. */
async function acknowledged(command: Promise<CommandAck>, record: () => Promise<void>, failed: (error: string) => void): Promise<void> {
  try {
    const ack = await command;
    if (ack.ok) await record();
    else failed(ack.error);
  } catch (error) {
    failed(publicError(error).message);
  }
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A rule (`alias`) of any protocol: its remote group's members are an ipset on hosts that keep them (`usesMemberSet` in the protocol). */
const anyProtocol = (alias: SQL) => sql`(${alias}.protocol is null or ${alias}.protocol not in ('tcp', 'udp', 'icmp'))`;

/** A digest of the member addresses of the group `groupId` (an SQL expression). */
const membersDigest = (groupId: SQL) => sql`md5(array_to_string(${groupMemberAddresses(groupId)}, ','))`;

/**
 * A group that rules of a protocol (TCP, UDP, ICMP) name as their remote got or lost a member:
 * the ports bound to those rules' groups list the members in their filters, so they are due
 * their filters again (`sendPortFilters`). Each group's digest is kept as of the last time, so
 * a burst of launches costs one refresh per sweep, not one per launch; launches write nothing
 * for it.
 */
async function portFiltersOfChangedGroups(db: Executor): Promise<void> {
  const { ports, portSecurityGroups: psg, securityGroupRules: rules, securityGroups: groups } = schema;
  await db.execute(sql`
      with named as (
        select distinct r.remote_group_id as group_id from ${rules} r where r.remote_group_id is not null and not ${anyProtocol(sql`r`)}
      ), changed as (
        update ${groups} g set members_digest = d.digest
        from (select n.group_id, ${membersDigest(sql`n.group_id`)} as digest from named n) d
        where g.id = d.group_id and g.members_digest is distinct from d.digest
        returning g.id
      )
      update ${ports} set filter_generation = filter_generation + 1
      where id in (
        select b.port_id from ${psg} b join ${rules} r on r.group_id = b.group_id
        where r.remote_group_id in (select id from changed) and not ${anyProtocol(sql`r`)}
      )`);
}

/**
 * Hosts whose agent keeps a remote group's members in an ipset: those that filter ports (libvirt's
 * test driver has no host networking, so its hosts are never sent members).
 */
const MEMBER_SET_HYPERVISORS = ["qemu"] as const;

/**
 * Instances whose host needs their remote groups' members: built ones, and those being built
 * there (the set is brought up to date before the build's filter names it: a set left from
 * earlier keeps its contents at plug).
 */
const MEMBER_SET_VM_STATES = ["building", ...FILTERED_VM_STATES] as const;

/** Hosts that did not take a group's members: sent again later. */
export type GroupMemberFailure = { hostId: string; groupId: string; error: string };

/**
 * Sends each host the members of the remote groups its ports' rules name, when they changed
 * since it last acknowledged them (Neutron's ipset updates): a port bound to a group or gone
 * from it changes the group's member digest. One message per host and group, whatever the
 * number of changes since the last sweep; a host that did not acknowledge is sent them again
 * after `resendAfterMs`. The conditional upsert is the claim: of two web processes sweeping at
 * once, one sends.
 */
async function sendGroupMembers(
  services: Pick<Services, "db" | "agents">,
  { resendAfterMs }: { resendAfterMs: number },
): Promise<Acknowledgements<GroupMemberFailure>> {
  const { ports, instances, computeHosts, portSecurityGroups: psg, securityGroupRules: rules, hostGroupMembers: sets } = schema;
  const due = rowsOf<{ host_id: string; group_id: string; digest: string; version: number; claimed_at: string }>(
    await services.db.execute(sql`
      with wanted as (
        select distinct i.host_id, r.remote_group_id as group_id
        from ${computeHosts} h
        join ${instances} i on i.host_id = h.id
        join ${ports} p on p.instance_id = i.id
        join ${psg} b on b.port_id = p.id
        join ${rules} r on r.group_id = b.group_id and r.remote_group_id is not null and ${anyProtocol(sql`r`)}
        where h.hypervisor_type in (${sql.join(
          MEMBER_SET_HYPERVISORS.map((type) => sql`${type}`),
          sql`, `,
        )}) and h.agent_session_id is not null
          and i.vm_state::text in (${sql.join(
            MEMBER_SET_VM_STATES.map((state) => sql`${state}`),
            sql`, `,
          )}) and i.task_state is distinct from 'deleting'
      ), gone as (
        -- No longer needed there: forgotten, so that a set the host still has is sent afresh
        -- before a later build's filter names it again.
        delete from ${sets} s where not exists (select 1 from wanted w where w.host_id = s.host_id and w.group_id = s.group_id)
      ), digests as (
        select g.group_id, ${membersDigest(sql`g.group_id`)} as digest
        from (select distinct group_id from wanted) g
      ), changed as (
        select w.host_id, w.group_id, d.digest from wanted w join digests d on d.group_id = w.group_id
        left join ${sets} s on s.host_id = w.host_id and s.group_id = w.group_id
        where s.applied_digest is distinct from d.digest
      )
      insert into ${sets} (host_id, group_id, sent_digest, sent_at)
      select host_id, group_id, digest, now() from changed
      on conflict (host_id, group_id) do update set sent_digest = excluded.sent_digest, sent_at = now()
      where ${sets.sentDigest} is distinct from excluded.sent_digest or ${sets.sentAt} < now() - ${resendAfterMs} * interval '1 millisecond'
      returning host_id, group_id, sent_digest as digest, floor(extract(epoch from ${sets.sentAt}) * 1000)::float8 as version, ${sets.sentAt}::text as claimed_at`),
  );
  if (due.length === 0) return { failures: Promise.resolve([]) };

  const groupIds = [...new Set(due.map((d) => d.group_id))];
  const members = new Map(
    rowsOf<{ group_id: string; addresses: (number | string)[] }>(
      await services.db.execute(sql`
        select g.group_id, ${groupMemberAddresses(sql`g.group_id::uuid`)} as addresses
        from jsonb_array_elements_text(${JSON.stringify(groupIds)}::jsonb) as g(group_id)`),
    ).map((row) => [row.group_id, cidrsOfAddresses(row.addresses.map(Number))]),
  );
  const failed: GroupMemberFailure[] = [];
  const sends = due.map(({ host_id: hostId, group_id: groupId, digest, version, claimed_at: claimedAt }) =>
    acknowledged(
      services.agents.replaceGroupMembers(hostId, { commandId: randomUUID(), groupId, version: Number(version), cidrs: members.get(groupId) ?? [] }),
      async () => {
        // Only while this is still the latest claim: a later list (from this process or
        // another) may have been taken first, and the host then ignored this one.
        await services.db.execute(sql`
          update ${sets} set applied_digest = ${digest}
          where host_id = ${hostId}::uuid and group_id = ${groupId}::uuid and sent_at = ${claimedAt}::timestamptz`);
      },
      (error) => failed.push({ hostId, groupId, error }),
    ),
  );
  return { failures: Promise.all(sends).then(() => failed) };
}

/**
 * One sweep of the security groups (every web process runs it each second): ports whose
 * protocol rules list a remote group that changed are marked due, then due port filters and
 * changed member sets are sent to their hosts. Resolves once sent; `acknowledged` settles
 * with the hosts' failures later, so a host that does not answer holds up only its own
 * commands (until the acknowledgement timeout).
 */
export async function syncSecurityGroups(
  services: Pick<Services, "db" | "agents">,
  { resendAfterMs }: { resendAfterMs: number },
): Promise<{ acknowledged: Promise<{ filters: PortFilterFailure[]; members: GroupMemberFailure[] }> }> {
  await portFiltersOfChangedGroups(services.db);
  const filters = await sendPortFilters(services, { resendAfterMs });
  const members = await sendGroupMembers(services, { resendAfterMs });
  return { acknowledged: Promise.all([filters.failures, members.failures]).then(([f, m]) => ({ filters: f, members: m })) };
}
