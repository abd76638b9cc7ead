import { schema } from "@nimbus/db";
import { and, asc, eq, gte, isNull, or, type SQL } from "@nimbus/db/orm";
import type { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { flavorIdInput, listFlavorsInput } from "./flavor-validation";
import { flavorOfferedTo, flavorVisibleTo } from "./visible-flavors";

const f = schema.flavors;

/**
 * Nova's flavor list: cloud admins choose public (with those offered to their project, the
 * default), private or all flavors, disabled ones included; anyone else sees the enabled
 * flavors that are public or offered to their project. Optionally at least so much RAM or disk.
 */
export async function findFlavors({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof listFlavorsInput> }) {
  const principal = authorize(ctx.principal, "flavors.list");
  const { isPublic, minMemoryMb, minRootGb } = parseInput(listFlavorsInput, input);
  const offered = flavorOfferedTo(principal.projectId);
  const conditions: (SQL | undefined)[] = [isNull(f.deletedAt)];
  if (!principal.isAdmin) conditions.push(eq(f.disabled, false), or(eq(f.isPublic, true), offered));
  else if (isPublic === true) conditions.push(or(eq(f.isPublic, true), offered));
  else if (isPublic === false) conditions.push(eq(f.isPublic, false));
  if (minMemoryMb !== undefined) conditions.push(gte(f.memoryMb, minMemoryMb));
  if (minRootGb !== undefined) conditions.push(gte(f.rootGb, minRootGb));
  return ctx.db
    .select()
    .from(f)
    .where(and(...conditions))
    .orderBy(asc(f.memoryMb), asc(f.vcpus), asc(f.id));
}

/** One flavor the caller may see (disabled ones too, as Nova shows them), or NotFound. */
export async function getFlavor({ ctx, input }: { ctx: CoreContext; input: z.input<typeof flavorIdInput> }) {
  const principal = authorize(ctx.principal, "flavors.get");
  const { id } = parseInput(flavorIdInput, input);
  const [row] = await ctx.db
    .select()
    .from(f)
    .where(and(eq(f.id, id), flavorVisibleTo(principal)));
  if (!row) throw NimbusError.notFound("Flavor", id);
  return row;
}
