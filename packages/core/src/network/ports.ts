import { randomBytes, randomInt } from "node:crypto";
import { jsonValue, rowFromJson, rowsOf, schema, type Executor } from "@nimbus/db";
import { eq, sql, type SQL, type SQLWrapper } from "@nimbus/db/orm";
import type { PortSpec, SecurityGroupRuleSpec } from "../protocol/agent";
import { NimbusError } from "../errors";
import { cidrsOfAddresses, intToIp, ipToInt, poolSize } from "./ipam";
import { filteredProtocol } from "./security-group-rules";
import { DEADLOCK_DETECTED, FOREIGN_KEY_VIOLATION, pgErrorOf } from "../pg-errors";
import type { NetworkRow, PortRow, SubnetRow } from "@nimbus/db/schema";
import { z } from "zod";

/** Who the port is for, and the security groups it is bound to as it is made. */
type PortOwner = { networkId: string; projectId: string; instanceId: string | null; securityGroupIds: string[] };

/** The constraint a binding to a security group deleted meanwhile breaks. */
const GROUP_BINDING_FK = "port_security_groups_group_id_security_groups_id_fk";

/** A MAC in OpenStack's fa:16:3e prefix. */
export function randomMac(): string {
  const tail = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"));
  return ["fa", "16", "3e", ...tail].join(":");
}

/** Like Neutron's IPAM, pick at random among the first free addresses so racing launches rarely want the same one. */
const CANDIDATE_WINDOW = 16;

/**
 * Creates a port with a free address of the network's subnets (the oldest subnet first, the next
 * one once it is full). The unique index on (subnet, address) settles races: an insert that
 * loses to a concurrent launch waits for it, does nothing, and tries again with the addresses
 * now taken, so two launches never get the same address. Every lost race means one
 * more address is taken, so the retries end once the pool is full, with a Conflict.
 */
export async function allocatePort(
  tx: Executor,
  {
    networkId,
    projectId,
    instanceId,
    securityGroupIds,
  }: { networkId: string; projectId: string; instanceId: string | null; securityGroupIds: string[] },
  /** The network's subnets in that order, when the caller read them already. */
  known?: SubnetRow[],
): Promise<PortRow> {
  const subnets =
    known ??
    (await tx.select().from(schema.subnets).where(eq(schema.subnets.networkId, networkId)).orderBy(schema.subnets.createdAt, schema.subnets.id));
  if (subnets.length === 0) {
    throw NimbusError.badRequest("This network has no subnet, so it has no addresses to give: add a subnet first.", [
      { path: "networkId", message: "Network has no subnet." },
    ]);
  }
  for (const subnet of subnets) {
    const port = await allocateOnSubnet(tx, subnet, { networkId, projectId, instanceId, securityGroupIds });
    if (port) return port;
  }
  const size = subnets.reduce((sum, s) => sum + poolSize(s.allocationPools), 0);
  const where = subnets.map((s) => s.cidr).join(", ");
  throw new NimbusError("Conflict", `The network has no free addresses left: all ${size} addresses of ${where} are in use.`, {
    fields: [{ path: "networkId", message: "No free addresses on this network." }],
  });
}

async function allocateOnSubnet(tx: Executor, subnet: SubnetRow, owner: PortOwner): Promise<PortRow | null> {
  for (let attempt = 0; ; attempt++) {
    try {
      // One statement: the first free addresses of the pools, found with index probes in the
      // database (no list of taken addresses travels), one of them at random, inserted. An
      // address a concurrent launch took meanwhile makes the insert do nothing: look again.
      // First a few addresses drawn at random from the pools (Neutron's IPAM picks at random
      // too): racing launches almost never want the same one, and each costs one index probe.
      // When the pool is nearly full those miss, and the first free addresses in order are used.
      const port =
        rowsOf(await tx.execute(insertRandomPort(subnet, owner)))[0] ??
        (await tx.transaction(async (sp) => rowsOf(await sp.execute(insertFreePort(subnet, owner)))[0]));
      if (port) return rowFromJson(schema.ports, port);
      if (!(await hasFreeAddress(tx, subnet))) return null;
    } catch (error) {
      const { code, constraint } = pgErrorOf(error);
      // A concurrent launch of several instances locked the same addresses the other way round: again.
      if (code === DEADLOCK_DETECTED && attempt < MAX_ATTEMPTS) continue;
      if (code === FOREIGN_KEY_VIOLATION && constraint === GROUP_BINDING_FK) {
        throw new NimbusError("NotFound", "A chosen security group was deleted meanwhile.", {
          fields: [{ path: "securityGroupIds", message: "No such security group in this project." }],
        });
      }
      // The network or subnet was deleted while this launch was under way.
      if (code === FOREIGN_KEY_VIOLATION) throw NimbusError.notFound("Network", owner.networkId);
      throw error;
    }
    if (attempt >= MAX_ATTEMPTS) throw new NimbusError("Conflict", `Too many launches are taking addresses of ${subnet.cidr} at once; try again.`);
  }
}

/** Lost races are bounded by the pool (each one means an address was taken); this is a backstop. */
const MAX_ATTEMPTS = 1_000;

/** Up to CANDIDATE_WINDOW free addresses of the subnet's pools, in pool order (the gateway never). */
function freeCandidates(subnet: SubnetRow) {
  return sql`
    with pools as (
      select (p->>'start')::inet as first, (p->>'end')::inet as last, t.ord
      from jsonb_array_elements(${JSON.stringify(subnet.allocationPools)}::jsonb) with ordinality as t(p, ord)
    )
    select host(c.ip) as ip
    from (select pools.first + g.n as ip from pools, lateral generate_series(0::bigint, pools.last - pools.first) as g(n)) c
    where not exists (select 1 from ${schema.ports} x where x.subnet_id = ${subnet.id} and x.ip_address = host(c.ip))
      ${subnet.gatewayIp ? sql`and host(c.ip) <> ${subnet.gatewayIp}` : sql``}
    limit ${CANDIDATE_WINDOW}`;
}

/** How many random addresses are tried before the ordered search. */
const RANDOM_PROBES = 16;

/** `count` addresses drawn at random from the pools (weighted by pool size), never the gateway. */
export function randomPoolAddresses(pools: { start: string; end: string }[], gatewayIp: string | null, count: number): string[] {
  const sizes = pools.map((p) => ipToInt(p.end) - ipToInt(p.start) + 1);
  const total = sizes.reduce((a, b) => a + b, 0);
  const picks = new Set<string>();
  for (let i = 0; i < count && total > 0; i++) {
    let offset = randomInt(total);
    const index = sizes.findIndex((size) => (offset < size ? true : ((offset -= size), false)));
    const ip = intToIp(ipToInt(pools[index]!.start) + offset);
    if (ip !== gatewayIp) picks.add(ip);
  }
  return [...picks];
}

/**
 * Inserts a port on the first of a few random pool addresses that is free. No savepoint: it
 * never conflicts (a taken address is skipped, and an address a concurrent launch is inserting
 * right now makes it do nothing), so it cannot fail the launch's transaction.
 */
function insertRandomPort(subnet: SubnetRow, owner: PortOwner) {
  const candidates = JSON.stringify(randomPoolAddresses(subnet.allocationPools, subnet.gatewayIp, RANDOM_PROBES));
  return insertPortOn(
    subnet,
    owner,
    sql`
      select c.ip from jsonb_array_elements_text(${candidates}::jsonb) with ordinality as c(ip, ord)
      where not exists (select 1 from ${schema.ports} x where x.subnet_id = ${subnet.id} and x.ip_address = c.ip)
      order by c.ord
      limit 1`,
  );
}

/** Inserts a port on one of the first free addresses in pool order, chosen at random. */
function insertFreePort(subnet: SubnetRow, owner: PortOwner) {
  return insertPortOn(subnet, owner, sql`select ip from (${freeCandidates(subnet)}) candidates order by random() limit 1`);
}

/** Inserts a port on the address `pick` selects (as `ip`); nothing when it selects none or a concurrent launch holds it. */
function insertPortOn(subnet: SubnetRow, { networkId, projectId, instanceId, securityGroupIds }: PortOwner, pick: SQL) {
  // The port is bound to its security groups in the same statement.
  return sql`
    with port as (
      insert into ${schema.ports} (network_id, subnet_id, project_id, instance_id, mac_address, ip_address)
      select ${networkId}, ${subnet.id}, ${projectId}, ${instanceId}, ${randomMac()}, pick.ip
      from (${pick}) pick
      on conflict do nothing
      returning id, network_id, subnet_id, project_id, instance_id, mac_address, ip_address, status, created_at
    ), bound as (
      -- The binding's copy of the port's address is filled by the database (migration 0008).
      insert into ${schema.portSecurityGroups} (port_id, group_id)
      select port.id, g.id::uuid from port, jsonb_array_elements_text(${JSON.stringify(securityGroupIds)}::jsonb) as g(id)
    )
    select * from port`;
}

async function hasFreeAddress(tx: Executor, subnet: SubnetRow): Promise<boolean> {
  return rowsOf(await tx.execute(sql`select 1 from (${freeCandidates(subnet)}) free limit 1`)).length > 0;
}

/** Deletes the instance's ports: their addresses and MACs are free again. */
export async function releaseInstancePorts(tx: Executor, instanceId: string): Promise<void> {
  await tx.delete(schema.ports).where(eq(schema.ports.instanceId, instanceId));
}

/**
 * What the host needs of an instance's ports, as two JSON columns of one statement (the spawn
 * command's read adds its own): `ports`, each with its subnet and network, in creation order;
 * and `rules`, each port's groups' rules, a remote-group rule with the addresses of every port
 * in that group, in order, from port_security_groups' index alone (a project's default group
 * holds every port it has). Map them with `portSpecsFromJson`.
 */
export function portSpecColumns(instanceId: SQLWrapper | string): SQL {
  return portSpecColumnsWhere(sql`p.instance_id = ${instanceId}::uuid`);
}

/**
 * The member addresses of the security group `groupId` (an SQL expression) as numbers, in
 * order, from port_security_groups' index alone; an empty array when it has none.
 */
export function groupMemberAddresses(groupId: SQL): SQL {
  return sql`(select coalesce(array_agg(m.address order by m.address), '{}') from ${schema.portSecurityGroups} m where m.group_id = ${groupId})`;
}

/** As `portSpecColumns`, for the ports (`p`) that `condition` picks. */
export function portSpecColumnsWhere(condition: SQL): SQL {
  const { ports, subnets, networks, securityGroupRules: r, portSecurityGroups: psg } = schema;
  return sql`
    (select coalesce(json_agg(json_build_object('port', row_to_json(p), 'subnet', row_to_json(s), 'network', row_to_json(n)) order by p.created_at), '[]'::json)
      from ${ports} p join ${subnets} s on s.id = p.subnet_id join ${networks} n on n.id = p.network_id
      where ${condition}) as ports,
    (select coalesce(json_agg(json_build_object('port_id', b.port_id, 'rule', row_to_json(rule),
        'members', ${groupMemberAddresses(sql`rule.remote_group_id`)})
        order by rule.created_at, rule.id), '[]'::json)
      from ${psg} b join ${r} rule on rule.group_id = b.group_id join ${ports} p on p.id = b.port_id
      where ${condition}) as rules`;
}

/** A vlan network's segment as a port spec carries it (the host tags its traffic with it); null for the others. */
export function vlanOf(network: Pick<NetworkRow, "networkType" | "physicalNetwork" | "vlanId">): PortSpec["vlan"] {
  return network.networkType === "vlan" && network.physicalNetwork !== null && network.vlanId !== null
    ? { physicalNetwork: network.physicalNetwork, id: network.vlanId }
    : null;
}

/** `portSpecColumns`' shapes: each port with its subnet and network, each bound rule with its remote group's members. */
const joinedPorts = z.array(z.object({ port: z.unknown(), subnet: z.unknown(), network: z.unknown() }));
const boundRules = z.array(z.object({ port_id: z.string(), rule: z.unknown(), members: z.array(z.number()) }));

/** The instance's ports as the host plugs them (addressing, DHCP, firewall rules), from `portSpecColumns`. */
export function portSpecsFromJson(portsJson: unknown, rulesJson: unknown): PortSpec[] {
  const bound = boundRules.parse(jsonValue(rulesJson)).map(({ port_id, rule, members }) => {
    const row = rowFromJson(schema.securityGroupRules, rule);
    const spec: SecurityGroupRuleSpec = {
      id: row.id,
      direction: row.direction,
      ethertype: "IPv4",
      protocol: filteredProtocol(row.protocol),
      portRangeMin: row.portRangeMin,
      portRangeMax: row.portRangeMax,
      // Consecutive addresses go as one block: as a subnet fills up (IPAM draws addresses at
      // random), its members become a few blocks, and so fewer filter rules on the host.
      remoteCidrs: row.remoteGroupId ? cidrsOfAddresses(members) : row.remoteIpPrefix ? [row.remoteIpPrefix] : null,
      remoteGroupId: row.remoteGroupId,
    };
    return { portId: port_id, spec };
  });
  return joinedPorts.parse(jsonValue(portsJson)).map((joined) => {
    const port = rowFromJson(schema.ports, joined.port);
    const subnet = rowFromJson(schema.subnets, joined.subnet);
    const network = rowFromJson(schema.networks, joined.network);
    return {
      id: port.id,
      networkId: network.id,
      networkName: network.name,
      macAddress: port.macAddress,
      ipAddress: port.ipAddress,
      cidr: subnet.cidr,
      gatewayIp: subnet.gatewayIp,
      dnsNameservers: subnet.dnsNameservers,
      enableDhcp: subnet.enableDhcp,
      mtu: network.mtu,
      segmentationId: network.segmentationId,
      vlan: vlanOf(network),
      securityGroupRules: bound.filter((b) => b.portId === port.id).map((b) => b.spec),
    };
  });
}
