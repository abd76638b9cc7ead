import { schema } from "@nimbus/db";
import { and, asc, eq, or } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { authorize } from "../identity/policy";

export async function listFlavors({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "catalog.flavors");
  return ctx.db
    .select()
    .from(schema.flavors)
    .where(and(eq(schema.flavors.disabled, false), ctx.principal!.isAdmin ? undefined : eq(schema.flavors.isPublic, true)))
    .orderBy(asc(schema.flavors.memoryMb), asc(schema.flavors.vcpus));
}

export async function listImages({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "catalog.images");
  return ctx.db
    .select()
    .from(schema.images)
    .where(or(eq(schema.images.visibility, "public"), eq(schema.images.ownerProjectId, ctx.principal!.projectId)))
    .orderBy(asc(schema.images.name));
}

export async function listNetworks({ ctx }: { ctx: CoreContext }) {
  authorize(ctx.principal, "catalog.networks");
  return ctx.db
    .select()
    .from(schema.networks)
    .where(or(eq(schema.networks.shared, true), eq(schema.networks.projectId, ctx.principal!.projectId)))
    .orderBy(asc(schema.networks.name));
}

export * from "./bootstrap";
