import { schema } from "@nimbus/db";
import { and, asc, eq, notInArray } from "@nimbus/db/orm";
import { imageVisibleTo } from "../images/visibility";
import { networkVisibleTo } from "../network/networks";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import type { NetworkRow } from "@nimbus/db/schema";

export * from "./flavor-availability";
export * from "./flavor-validation";
export * from "./list-flavors";
export * from "./create-flavor";
export * from "./update-flavor";
export * from "./set-flavor-properties";
export * from "./delete-flavor";
export * from "./flavor-access";
import { visibleFlavors } from "./visible-flavors";

export async function listFlavors({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "catalog.flavors");
  return visibleFlavors(ctx.db, principal);
}

/** The images a launch can boot: active disk images visible to the project (kernels and ramdisks are parts, not choices). */
export async function listImages({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "catalog.images");
  return ctx.db
    .select()
    .from(schema.images)
    .where(and(imageVisibleTo(principal.projectId), eq(schema.images.status, "active"), notInArray(schema.images.diskFormat, ["aki", "ari"])))
    .orderBy(asc(schema.images.name));
}

/** Networks the project can attach to, each with its first subnet's addressing. */
export async function listNetworks({ ctx }: { ctx: CoreContext }) {
  const principal = authorize(ctx.principal, "catalog.networks");
  const rows = await ctx.db
    .select({ network: schema.networks, cidr: schema.subnets.cidr, gatewayIp: schema.subnets.gatewayIp, subnetCreatedAt: schema.subnets.createdAt })
    .from(schema.networks)
    .leftJoin(schema.subnets, eq(schema.subnets.networkId, schema.networks.id))
    .where(networkVisibleTo(principal.projectId))
    .orderBy(asc(schema.networks.name), asc(schema.subnets.createdAt));
  const byId = new Map<string, NetworkRow & { cidr: string | null; gatewayIp: string | null }>();
  for (const row of rows) if (!byId.has(row.network.id)) byId.set(row.network.id, { ...row.network, cidr: row.cidr, gatewayIp: row.gatewayIp });
  return [...byId.values()];
}

export * from "./bootstrap";
