/**
 * The routers each host runs, driven from the database (the work Neutron's L3 agent does when it
 * syncs its routers from the server): each sweep reads every scheduled router as it is (its
 * interfaces, gateway and associated floating IPs), groups them by host, and sends a host its
 * whole list (`routers.sync`) when the list's digest differs from the one it acknowledged and
 * was not just sent (or was sent and not acknowledged in time). A host that registers again is
 * sent its list afresh (register-host.ts forgets its digest), so an agent restart rebuilds its
 * routers; a host that loses its last router is sent the empty list, which removes them.
 *
 * Nothing in the verbs has to tell the sweep what changed: a port deleted with its instance, a
 * router moved to another host or a floating IP released all change some host's list. The
 * sweep's read is one query per table over the scheduled routers, which stays small (a project
 * has at most 10): a cloud of thousands of routers would want change marks like the network
 * entry sweep's.
 */
import { createHash, randomUUID } from "node:crypto";
import { rowsOf, schema } from "@nimbus/db";
import { and, eq, inArray, isNotNull, sql } from "@nimbus/db/orm";
import type { Services } from "../context";
import { publicError } from "../errors";
import type { PortSpec, RouterSpec } from "../protocol/agent";
import { parseCidr } from "./ipam";
import { DEVICE_OWNER } from "./router-rules";
import { vlanOf } from "./ports";

/** Every scheduled router as its host should run it, by host id. */
export async function routerSpecsByHost(db: Services["db"]): Promise<Map<string, RouterSpec[]>> {
  const routers = await db.select().from(schema.routers).where(isNotNull(schema.routers.hostId));
  const byHost = new Map<string, RouterSpec[]>();
  if (routers.length === 0) return byHost;
  const ids = routers.map((r) => r.id);
  const [ports, floatingIps] = await Promise.all([
    db
      .select({ port: schema.ports, subnet: schema.subnets, network: schema.networks })
      .from(schema.ports)
      .innerJoin(schema.subnets, eq(schema.subnets.id, schema.ports.subnetId))
      .innerJoin(schema.networks, eq(schema.networks.id, schema.ports.networkId))
      .where(inArray(schema.ports.routerId, ids)),
    db
      .select({ routerId: schema.floatingIps.routerId, floating: schema.floatingIps.floatingIpAddress, fixed: schema.ports.ipAddress })
      .from(schema.floatingIps)
      .innerJoin(schema.ports, eq(schema.ports.id, schema.floatingIps.portId))
      .where(and(inArray(schema.floatingIps.routerId, ids), isNotNull(schema.floatingIps.portId))),
  ]);
  for (const router of [...routers].sort((a, b) => a.id.localeCompare(b.id))) {
    const own = ports.filter((p) => p.port.routerId === router.id).sort((a, b) => a.port.id.localeCompare(b.port.id));
    const gateway = own.find((p) => p.port.deviceOwner === DEVICE_OWNER.routerGateway);
    const spec: RouterSpec = {
      id: router.id,
      interfaces: own
        .filter((p) => p.port.deviceOwner === DEVICE_OWNER.routerInterface)
        .map(({ port, subnet, network }) => {
          const portSpec: PortSpec = {
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
            securityGroupRules: [],
          };
          return { port: portSpec, prefix: parseCidr(subnet.cidr).prefix };
        }),
      // A gateway leg goes on the host's bridge of a flat network; on any other (vxlan, and vlan,
      // whose gateway legs hosts do not build yet) it has nowhere to go on a host.
      gateway:
        gateway?.network.physicalNetwork && gateway.network.networkType === "flat"
          ? {
              portId: gateway.port.id,
              physicalNetwork: gateway.network.physicalNetwork,
              macAddress: gateway.port.macAddress,
              ipAddress: gateway.port.ipAddress,
              prefix: parseCidr(gateway.subnet.cidr).prefix,
              nextHop: gateway.subnet.gatewayIp,
              mtu: gateway.network.mtu,
            }
          : null,
      enableSnat: router.enableSnat,
      floatingIps: floatingIps
        .filter((f) => f.routerId === router.id)
        .map((f) => ({ floatingIpAddress: f.floating, fixedIpAddress: f.fixed }))
        .sort((a, b) => a.floatingIpAddress.localeCompare(b.floatingIpAddress)),
    };
    const list = byHost.get(router.hostId!) ?? [];
    list.push(spec);
    byHost.set(router.hostId!, list);
  }
  return byHost;
}

export function routerListDigest(routers: readonly RouterSpec[]): string {
  return createHash("sha256").update(JSON.stringify(routers)).digest("hex");
}

/** A host that did not take its router list: sent it again later. */
export type RouterSyncFailure = { hostId: string; error: string };

/**
 * One sweep (see the top of this file). Resolves once the due lists are sent, with how many;
 * `acknowledged` settles with the hosts that refused or did not answer (never rejects).
 */
export async function syncRouters(
  services: Pick<Services, "db" | "agents">,
  { resendAfterMs }: { resendAfterMs: number },
): Promise<{ sent: number; acknowledged: Promise<RouterSyncFailure[]> }> {
  const { db } = services;
  const byHost = await routerSpecsByHost(db);
  const known = await db.select({ hostId: schema.routerHostSync.hostId }).from(schema.routerHostSync);
  const hostIds = new Set([...byHost.keys(), ...known.map((k) => k.hostId)]);
  if (hostIds.size === 0) return { sent: 0, acknowledged: Promise.resolve([]) };
  const wanted = [...hostIds].map((hostId) => {
    const routers = byHost.get(hostId) ?? [];
    return { host_id: hostId, digest: routerListDigest(routers), routers };
  });
  const param = JSON.stringify(wanted.map(({ host_id, digest }) => ({ host_id, digest })));
  // Rows for hosts given their first router; then the claim of every host whose list is due.
  const claimed = rowsOf<{ host_id: string; digest: string }>(
    await db.execute(sql`
      with wanted as (select * from jsonb_to_recordset(${param}::jsonb) as w(host_id uuid, digest text)),
      added as (
        insert into ${schema.routerHostSync} (host_id)
        select w.host_id from wanted w join ${schema.computeHosts} h on h.id = w.host_id
        on conflict do nothing
      )
      -- Until the host acknowledges this list, what it has is not known: a list sent earlier that
      -- it took after its acknowledgement timed out may be the one in place (so a change back to
      -- what it last acknowledged is sent too).
      update ${schema.routerHostSync} s set sent_digest = w.digest, sent_at = now(), applied_digest = null
      from wanted w, ${schema.computeHosts} h
      where s.host_id = w.host_id and h.id = w.host_id and h.agent_session_id is not null
        and s.applied_digest is distinct from w.digest
        and (s.sent_digest is distinct from w.digest or s.sent_at is null or s.sent_at < now() - ${resendAfterMs} * interval '1 millisecond')
      returning s.host_id, w.digest`),
  );
  const failures: RouterSyncFailure[] = [];
  const sends = claimed.map(async ({ host_id: hostId, digest }) => {
    const routers = wanted.find((w) => w.host_id === hostId)?.routers ?? [];
    try {
      const ack = await services.agents.syncRouters(hostId, { commandId: randomUUID(), routers });
      if (!ack.ok) {
        failures.push({ hostId, error: ack.error });
        return;
      }
      await db
        .update(schema.routerHostSync)
        .set({ appliedDigest: digest })
        .where(and(eq(schema.routerHostSync.hostId, hostId), eq(schema.routerHostSync.sentDigest, digest)));
    } catch (error) {
      failures.push({ hostId, error: publicError(error).message });
    }
  });
  return { sent: claimed.length, acknowledged: Promise.all(sends).then(() => failures) };
}
