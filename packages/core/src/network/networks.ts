import { rowsOf, schema, type Executor } from "@nimbus/db";
import { and, asc, eq, getTableColumns, inArray, isNotNull, ne, or, sql, type Placeholder } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";
import { audit } from "../audit/record";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { roleImplies } from "../policy";
import { eachOnce, idInput, MAX_LIST_LIMIT, pageInput, text } from "../validation";
import { containsText, keyset, textPart, timestampPart } from "../paging/keyset";
import { poolSize } from "./ipam";
import { count } from "../plural";
import { portsOf } from "./list-ports";
import { checkSubnet, issuesMessage, prefixIssues, subnetFieldsSchema } from "./subnet-rules";
import { OVERLAY_NETWORK_MTU, type NetworkRow, type SubnetRow } from "@nimbus/db/schema";
import { networkChange } from "./announce-change";
import { pgErrorOf, UNIQUE_VIOLATION } from "../pg-errors";
import { MAX_VLAN_ID, MIN_VLAN_ID, pickVlanId, type VlanRanges } from "./vlan-ranges";

export const createNetworkInput = z.object({
  name: text("Name").trim().min(1, "Enter a name.").max(255, "Use at most 255 characters."),
  /** Unset: 1450 on the overlay (a VXLAN overlay on a 1500-byte underlay), 1500 on a VLAN (a tag costs the frame nothing). */
  mtu: z
    .number()
    .int("The MTU is a whole number of bytes.")
    .min(68, "The MTU must be at least 68 (IPv4's minimum).")
    .max(9000, "The MTU can be at most 9000.")
    .optional(),
  /** Visible to every project (cloud admins only). */
  shared: z.boolean().default(false),
  /**
   * Neutron's `router:external` (cloud admins only): routers of every project may take their
   * gateway here and floating IPs come from its subnets; every project sees it.
   */
  routerExternal: z.boolean().default(false),
  /**
   * Neutron's provider attributes (cloud admins only): `flat` on a physical network each host
   * maps to a bridge of its own (the agent's NIMBUS_PHYSNETS), `vlan` tagged with a VLAN id on a
   * physical network each host maps to an interface, or `vxlan` (the default: a tenant network
   * on the overlay). A vlan network without a VLAN id (or a physical network) is given one from
   * the cloud's VLAN ranges (NIMBUS_NETWORK_VLAN_RANGES), as Neutron does.
   */
  provider: z
    .object({
      networkType: z.enum(
        ["flat", "vlan", "vxlan"],
        "A network is flat (on a host bridge), vlan (tagged on a host interface) or vxlan (on the overlay).",
      ),
      physicalNetwork: text("Physical network")
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "A physical network's name is letters, digits, '_', '.' and '-' (at most 64).")
        .nullable()
        .default(null),
      /** The VLAN id of a vlan network (Neutron's provider:segmentation_id); null: one from the ranges. */
      segmentationId: z
        .number("The VLAN id is a whole number from 1 to 4094.")
        .int("The VLAN id is a whole number from 1 to 4094.")
        .min(MIN_VLAN_ID, "The VLAN id is a whole number from 1 to 4094.")
        .max(MAX_VLAN_ID, "The VLAN id is a whole number from 1 to 4094.")
        .nullable()
        .default(null),
    })
    .superRefine((p, issue) => {
      if (p.networkType === "flat" && p.physicalNetwork === null) {
        issue.addIssue({ code: "custom", path: ["physicalNetwork"], message: "A flat network names its physical network." });
      }
      if (p.networkType === "vxlan" && p.physicalNetwork !== null) {
        issue.addIssue({ code: "custom", path: ["physicalNetwork"], message: "A vxlan network is on the overlay: it names no physical network." });
      }
      if (p.networkType !== "vlan" && p.segmentationId !== null) {
        issue.addIssue({
          code: "custom",
          path: ["segmentationId"],
          message: p.networkType === "vxlan" ? "Nimbus gives every vxlan network its VNI." : "A flat network carries no VLAN id.",
        });
      }
    })
    .nullable()
    .default(null),
  /** The first subnet, made in the same call; its field errors are named `subnet.<field>`. */
  subnet: subnetFieldsSchema.nullable().default(null),
});

/** Networks a project sees: its own, the shared ones and the external ones (Neutron shows every project those). */
export function networkVisibleTo(projectId: string | Placeholder) {
  return or(eq(schema.networks.shared, true), eq(schema.networks.projectId, projectId), eq(schema.networks.routerExternal, true));
}

/** The owner project changes a network (members and up); a cloud admin may change any, shared ones included. */
export function mayManageNetwork(principal: Principal, network: Pick<NetworkRow, "projectId">): boolean {
  return principal.isAdmin || (network.projectId === principal.projectId && roleImplies(principal.role, "member"));
}

/**
 * A network the caller may change: one of their project's, or any visible one for a cloud admin.
 * Another project's private network is NotFound; a shared one the caller only uses is Forbidden.
 * `lock` takes the row lock that orders this change against launches and other changes.
 */
export async function findManagedNetwork(tx: Executor, principal: Principal, id: string, lock?: "update" | "no key update"): Promise<NetworkRow> {
  const query = tx
    .select()
    .from(schema.networks)
    .where(and(eq(schema.networks.id, id), networkVisibleTo(principal.projectId)));
  const [network] = lock ? await query.for(lock) : await query;
  if (!network) throw NimbusError.notFound("Network", id);
  if (!mayManageNetwork(principal, network)) {
    throw NimbusError.forbidden(`Network ${network.name} is shared with this project; only its owner or a cloud administrator may change it.`);
  }
  return network;
}

/** A subnet with how many of its pool addresses are taken. */
export function subnetSummary(subnet: SubnetRow, usedAddresses: number) {
  return {
    id: subnet.id,
    networkId: subnet.networkId,
    /** The project that made it (null: made at first start with the cloud's shared network). */
    projectId: subnet.projectId,
    name: subnet.name,
    cidr: subnet.cidr,
    gatewayIp: subnet.gatewayIp,
    allocationPools: subnet.allocationPools,
    dnsNameservers: subnet.dnsNameservers,
    enableDhcp: subnet.enableDhcp,
    createdAt: subnet.createdAt,
    usedAddresses,
    poolSize: poolSize(subnet.allocationPools),
  };
}
export type SubnetSummary = ReturnType<typeof subnetSummary>;

/** Networks with their subnets, address usage and how many ports and instances use them. */
async function summarize(db: Executor, principal: Principal, networks: NetworkRow[]) {
  const { projectId } = principal;
  const ids = networks.map((n) => n.id);
  if (ids.length === 0) return [];
  const [subnets, perSubnet, perNetwork] = await Promise.all([
    db.select().from(schema.subnets).where(inArray(schema.subnets.networkId, ids)).orderBy(asc(schema.subnets.createdAt), asc(schema.subnets.id)),
    db
      .select({ subnetId: schema.ports.subnetId, used: sql<number>`count(*)::int` })
      .from(schema.ports)
      .where(inArray(schema.ports.networkId, ids))
      .groupBy(schema.ports.subnetId),
    db
      .select({
        networkId: schema.ports.networkId,
        ports: sql<number>`count(*)::int`,
        instances: sql<number>`count(distinct ${schema.ports.instanceId})::int`,
      })
      .from(schema.ports)
      .where(inArray(schema.ports.networkId, ids))
      .groupBy(schema.ports.networkId),
  ]);
  const used = new Map(perSubnet.map((r) => [r.subnetId, Number(r.used)]));
  return networks.map((network) => {
    const usage = perNetwork.find((r) => r.networkId === network.id);
    return {
      id: network.id,
      name: network.name,
      /** The owner project (null: the cloud's own, made at first start). */
      projectId: network.projectId,
      shared: network.shared,
      mtu: network.mtu,
      /** The VXLAN network identifier (Neutron's provider:segmentation_id of a vxlan network). */
      segmentationId: network.segmentationId,
      /** Neutron's router:external. */
      routerExternal: network.routerExternal,
      /** Neutron's provider:network_type and provider:physical_network. */
      networkType: network.networkType,
      physicalNetwork: network.physicalNetwork,
      /** A vlan network's VLAN id (Neutron's provider:segmentation_id for it); null for the others. */
      vlanId: network.vlanId,
      createdAt: network.createdAt,
      /** Whether the caller's project owns it (shared networks of others are only used). */
      ownedByProject: network.projectId === projectId,
      /** Whether the caller may change it (delete it, add or remove subnets). */
      canManage: mayManageNetwork(principal, network),
      portCount: Number(usage?.ports ?? 0),
      instanceCount: Number(usage?.instances ?? 0),
      subnets: subnets.filter((s) => s.networkId === network.id).map((s) => subnetSummary(s, used.get(s.id) ?? 0)),
    };
  });
}
export type NetworkSummary = Awaited<ReturnType<typeof summarize>>[number];

/** A network list's orders, each ending in the id: by name (then creation) or by creation. Migration `more_list_indexes` indexes them. */
const networkKeyset = keyset<NetworkSortKey>({
  keys: {
    name: [textPart(sql`${schema.networks.name}`), timestampPart(sql`${schema.networks.createdAt}`)],
    created_at: [timestampPart(sql`${schema.networks.createdAt}`)],
  },
  id: sql`${schema.networks.id}`,
  idCast: (v) => sql`${v}::uuid`,
});
export const NETWORK_SORT_KEYS = ["name", "created_at"] as const;
export type NetworkSortKey = (typeof NETWORK_SORT_KEYS)[number];

/** The network list's filters (Neutron's that Nimbus keeps in SQL) and page. */
export const listNetworksInput = z
  .object({
    ...pageInput(NETWORK_SORT_KEYS, { sort: "name", direction: "asc", limit: 20 }),
    /** A page after this network (Neutron's marker): one the caller sees, or a BadRequest. */
    marker: z.uuid("Not a network id.").optional(),
    /** The page before `marker` instead of after it (Neutron's page_reverse). */
    beforeMarker: z.boolean().default(false),
    ids: z.array(z.uuid("Not a network id.")).max(100).refine(eachOnce(), "Name each network once.").optional(),
    names: z.array(text("Name").max(255)).max(100).optional(),
    /** Names that contain this text, any case (the console's filter). */
    nameContains: text("Name").max(255, "Use at most 255 characters.").optional(),
    /** Networks of this project (Neutron's tenant_id / project_id). */
    projectIds: z.array(z.uuid("Not a project id.")).max(100).refine(eachOnce(), "Name each project once.").optional(),
    shared: z.boolean().optional(),
    routerExternal: z.boolean().optional(),
  })
  .default({ sort: "name", direction: "asc", limit: 20, beforeMarker: false });
export type ListNetworksInput = z.input<typeof listNetworksInput>;

/**
 * A page of Neutron's network list, filtered, sorted and paged in SQL: the project's own networks,
 * the shared ones and the external ones (a cloud admin sees the same, as Nimbus has always listed them).
 */
export async function listNetworkPage({ ctx, input }: { ctx: CoreContext; input?: ListNetworksInput }) {
  const principal = authorize(ctx.principal, "networks.list");
  const value = parseInput(listNetworksInput, input);
  const n = schema.networks;
  const scope = networkVisibleTo(principal.projectId);
  const filters = [
    scope,
    value.ids ? inArray(n.id, value.ids) : undefined,
    value.names ? inArray(n.name, value.names) : undefined,
    value.nameContains ? containsText(sql`${n.name}`, value.nameContains) : undefined,
    value.projectIds ? inArray(n.projectId, value.projectIds) : undefined,
    value.shared !== undefined ? eq(n.shared, value.shared) : undefined,
    value.routerExternal !== undefined ? eq(n.routerExternal, value.routerExternal) : undefined,
  ];
  const request = await networkKeyset.fromMarker(
    value,
    value.marker,
    async (select) =>
      (
        await ctx.db
          .select({ id: n.id, _keyset: select })
          .from(n)
          .where(and(eq(n.id, value.marker!), scope))
      )[0],
    () => NimbusError.badRequest(`Invalid marker: network ${value.marker} is not in this list.`, [{ path: "marker", message: "No such network." }]),
    value.beforeMarker,
  );
  const page = await networkKeyset.run(request, ({ select, where, orderBy, limit }) =>
    ctx.db
      .select({ ...getTableColumns(n), _keyset: select })
      .from(n)
      .where(and(...filters, where))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { ...page, items: await summarize(ctx.db, principal, page.items) };
}

/**
 * Neutron's network list as one list: the project's own networks, the shared ones and the
 * external ones, by name, at most MAX_LIST_LIMIT (the launch wizard's and Nova's choice of networks).
 */
export async function listNetworks({ ctx, input }: { ctx: CoreContext; input?: ListNetworksInput }): Promise<NetworkSummary[]> {
  return (await listNetworkPage({ ctx, input: { ...input, limit: input?.limit ?? MAX_LIST_LIMIT } })).items;
}

/** One visible network with its subnets and the project's ports on it. */
export async function getNetwork({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }) {
  const principal = authorize(ctx.principal, "networks.get");
  const { id } = parseInput(idInput, input);
  const projectId = principal.projectId;
  const [network] = await ctx.db
    .select()
    .from(schema.networks)
    .where(and(eq(schema.networks.id, id), networkVisibleTo(projectId)));
  if (!network) throw NimbusError.notFound("Network", id);
  const [summary] = await summarize(ctx.db, principal, [network]);
  const ports = await portsOf(ctx.db, principal, { networkId: network.id });
  return { ...summary!, ports: ports.map(({ _keyset: _, ...port }) => port) };
}

/**
 * Creates a network of the caller's project, with its first subnet when given (both or neither).
 * Only cloud admins may share a network with every project.
 */
export async function createNetwork({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createNetworkInput> }): Promise<NetworkSummary> {
  const principal = authorize(ctx.principal, "networks.create");
  const value = parseInput(createNetworkInput, input);
  if (value.shared && !principal.isAdmin) {
    throw new NimbusError("Forbidden", "Only cloud administrators may create shared networks.", {
      fields: [{ path: "shared", message: "Only cloud administrators may share a network." }],
    });
  }
  // Neutron's policy: create_network:router:external and create_network:provider:* are admin only.
  if ((value.routerExternal || value.provider) && !principal.isAdmin) {
    const field = value.routerExternal ? "routerExternal" : "provider";
    throw new NimbusError("Forbidden", "Only cloud administrators may create external networks or set a network's provider attributes.", {
      fields: [{ path: field, message: "Only cloud administrators may set this." }],
    });
  }
  const checked = value.subnet ? checkSubnet(value.subnet, []) : null;
  if (checked && checked.issues.length > 0) throw NimbusError.badRequest(issuesMessage(checked.issues), prefixIssues(checked.issues, "subnet."));
  const networkType = value.provider?.networkType ?? "vxlan";
  const mtu = value.mtu ?? (networkType === "vlan" ? PHYSICAL_NETWORK_MTU : OVERLAY_NETWORK_MTU);
  return networkChange(ctx, { projectId: principal.projectId, resource: "network" }, async (tx) => {
    const segment =
      networkType === "vlan"
        ? await vlanSegment(tx, ctx.networkVlanRanges ?? new Map(), value.provider!)
        : { physicalNetwork: value.provider?.physicalNetwork ?? null, vlanId: null };
    const [network] = await tx
      .insert(schema.networks)
      .values({
        name: value.name,
        mtu,
        shared: value.shared,
        projectId: principal.projectId,
        routerExternal: value.routerExternal,
        networkType,
        physicalNetwork: segment.physicalNetwork,
        vlanId: segment.vlanId,
      })
      .returning()
      .catch((error: unknown) => {
        // Another network took the VLAN id in the meantime (the unique index holds it).
        if (segment.vlanId !== null && pgErrorOf(error).code === UNIQUE_VIOLATION) throw vlanTaken(segment.physicalNetwork!, segment.vlanId, null);
        throw error;
      });
    await audit(ctx, tx, {
      action: "network.create",
      outcome: "success",
      targetType: "network",
      targetId: network!.id,
      details: {
        name: value.name,
        shared: value.shared,
        mtu,
        networkType,
        ...(segment.vlanId !== null ? { physicalNetwork: segment.physicalNetwork, vlanId: segment.vlanId } : {}),
      },
    });
    if (checked?.subnet) {
      const [subnet] = await tx
        .insert(schema.subnets)
        .values({ ...checked.subnet, networkId: network!.id, projectId: principal.projectId })
        .returning();
      await audit(ctx, tx, {
        action: "subnet.create",
        outcome: "success",
        targetType: "subnet",
        targetId: subnet!.id,
        details: { network: value.name, cidr: subnet!.cidr },
      });
    }
    const [summary] = await summarize(tx, principal, [network!]);
    return summary!;
  });
}

/** The MTU of a network on a physical network by default (Neutron's global_physnet_mtu). */
export const PHYSICAL_NETWORK_MTU = 1500;

type ProviderInput = NonNullable<z.output<typeof createNetworkInput>["provider"]>;

function vlanTaken(physicalNetwork: string, vlanId: number, holder: string | null): NimbusError {
  return new NimbusError(
    "Conflict",
    `VLAN ${vlanId} on ${physicalNetwork} is taken${holder ? ` by network ${holder}` : ""}: choose another VLAN id.`,
    {
      fields: [
        { path: "provider.segmentationId", message: `VLAN ${vlanId} on ${physicalNetwork} is taken${holder ? ` by network ${holder}` : ""}.` },
      ],
    },
  );
}

/**
 * The physical network and VLAN id a new vlan network takes (Neutron's ML2 vlan type driver):
 * the ones its creator named, or a free id from the cloud's ranges (on the named physical
 * network, or on the first one by name with a free id). A physical network is known when a
 * host maps it (NIMBUS_PHYSNETS) or the ranges name it. Ids of one physical network are taken
 * one transaction at a time (an advisory lock); the unique index is the last word.
 */
async function vlanSegment(tx: Executor, ranges: VlanRanges, provider: ProviderInput): Promise<{ physicalNetwork: string; vlanId: number }> {
  const hostPhysnets = rowsOf<{ name: string }>(
    await tx.execute(sql`select distinct jsonb_array_elements_text(${schema.computeHosts.physicalNetworks}) as name from ${schema.computeHosts}`),
  ).map((r) => r.name);
  const known = new Set([...ranges.keys(), ...hostPhysnets]);
  let physicalNetwork = provider.physicalNetwork;
  if (physicalNetwork === null && provider.segmentationId !== null) {
    // Neutron's words: segmentation_id requires physical_network for a VLAN provider network.
    throw NimbusError.badRequest(`VLAN ${provider.segmentationId} is on a physical network: name it.`, [
      { path: "provider.physicalNetwork", message: "Name the physical network the VLAN id is on." },
    ]);
  }
  if (physicalNetwork === null) {
    const candidates = [...ranges]
      .filter(([, list]) => list.length > 0)
      .map(([name]) => name)
      .sort();
    if (candidates.length === 0) {
      throw NimbusError.badRequest(
        "Name the physical network the VLAN is on: no VLAN ranges are configured to choose one from (NIMBUS_NETWORK_VLAN_RANGES).",
        [{ path: "provider.physicalNetwork", message: "Name the physical network the VLAN is on." }],
      );
    }
    for (const candidate of candidates) {
      if ((await freeVlanId(tx, candidate, ranges.get(candidate)!)) !== null) {
        physicalNetwork = candidate;
        break;
      }
    }
    physicalNetwork ??= candidates[0]!;
  } else if (!known.has(physicalNetwork)) {
    const message = `No host maps physical network ${physicalNetwork} (NIMBUS_PHYSNETS) and the VLAN ranges (NIMBUS_NETWORK_VLAN_RANGES) do not name it.`;
    throw NimbusError.badRequest(message, [
      { path: "provider.physicalNetwork", message: `No host or VLAN range knows physical network ${physicalNetwork}.` },
    ]);
  }
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`nimbus-vlan:${physicalNetwork}`}))`);
  if (provider.segmentationId !== null) {
    const [holder] = await tx
      .select({ name: schema.networks.name })
      .from(schema.networks)
      .where(and(eq(schema.networks.physicalNetwork, physicalNetwork), eq(schema.networks.vlanId, provider.segmentationId)));
    if (holder) throw vlanTaken(physicalNetwork, provider.segmentationId, holder.name);
    return { physicalNetwork, vlanId: provider.segmentationId };
  }
  const own = ranges.get(physicalNetwork) ?? [];
  if (own.length === 0) {
    throw NimbusError.badRequest(`No VLAN range is configured for ${physicalNetwork} (NIMBUS_NETWORK_VLAN_RANGES): give the VLAN id.`, [
      { path: "provider.segmentationId", message: `Give the VLAN id: no range is configured for ${physicalNetwork}.` },
    ]);
  }
  const vlanId = await freeVlanId(tx, physicalNetwork, own);
  if (vlanId === null) {
    const spans = own.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}–${hi}`)).join(", ");
    throw new NimbusError("Conflict", `Every VLAN id of ${physicalNetwork}'s ranges (${spans}) is taken: free one, or give an id outside them.`, {
      fields: [{ path: "provider.segmentationId", message: `Every VLAN id of ${physicalNetwork}'s ranges (${spans}) is taken.` }],
    });
  }
  return { physicalNetwork, vlanId };
}

async function freeVlanId(tx: Executor, physicalNetwork: string, ranges: readonly (readonly [number, number])[]): Promise<number | null> {
  const used = await tx
    .select({ vlanId: schema.networks.vlanId })
    .from(schema.networks)
    .where(and(eq(schema.networks.physicalNetwork, physicalNetwork), isNotNull(schema.networks.vlanId)));
  return pickVlanId(
    ranges,
    used.map((u) => u.vlanId!),
  );
}

/**
 * Deletes a network and its subnets. Refused while any port (so any instance) uses it. The row
 * lock waits for launches that are allocating on it and keeps new ones out until it is gone.
 */
export async function deleteNetwork({ ctx, input }: { ctx: CoreContext; input: z.input<typeof idInput> }): Promise<{ id: string }> {
  const principal = authorize(ctx.principal, "networks.delete");
  const { id } = parseInput(idInput, input);
  return networkChange(ctx, { projectId: principal.projectId, resource: "network" }, async (tx) => {
    const network = await findManagedNetwork(tx, principal, id, "update");
    const [ports] = await tx
      .select({ ports: sql<number>`count(*)::int`, instances: sql<number>`count(distinct ${schema.ports.instanceId})::int` })
      .from(schema.ports)
      .where(eq(schema.ports.networkId, id));
    const [live] = await tx
      .select({ instances: sql<number>`count(*)::int` })
      .from(schema.instances)
      .where(and(eq(schema.instances.networkId, id), ne(schema.instances.vmState, "deleted")));
    const instanceCount = Math.max(Number(ports?.instances ?? 0), Number(live?.instances ?? 0));
    const portCount = Number(ports?.ports ?? 0);
    if (portCount > 0 || instanceCount > 0) {
      throw NimbusError.conflict(
        `Network ${network.name} is in use by ${count(instanceCount, "instance")} (${count(portCount, "port")}): delete ${instanceCount === 1 ? "that instance" : "those instances"} first.`,
      );
    }
    // Deleted instances keep their records; they no longer point at the network.
    await tx.update(schema.instances).set({ networkId: null }).where(eq(schema.instances.networkId, id));
    await tx.delete(schema.networks).where(eq(schema.networks.id, id));
    await audit(ctx, tx, { action: "network.delete", outcome: "success", targetType: "network", targetId: id, details: { name: network.name } });
    return { id };
  });
}
