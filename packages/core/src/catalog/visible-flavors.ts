import { schema } from "@nimbus/db";
import { and, asc, eq, isNull, or, sql, type SQL } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";

const f = schema.flavors;

/** Offered to `projectId` through flavor access (a private flavor). */
export const flavorOfferedTo = (projectId: string): SQL =>
  sql`exists (select 1 from ${schema.flavorProjects} fp where fp.flavor_id = ${f.id} and fp.project_id = ${projectId}::uuid)`;

/**
 * A flavor the caller may see (Nova's flavor query): not deleted, and for anyone but a cloud
 * admin public or offered to the caller's project.
 */
export function flavorVisibleTo(principal: Principal): SQL {
  const live = isNull(f.deletedAt);
  return principal.isAdmin ? live : and(live, or(eq(f.isPublic, true), flavorOfferedTo(principal.projectId)))!;
}

/**
 * The flavors a caller may launch: enabled, and public or offered to the caller's project
 * (every flavor for a cloud admin); smallest first.
 */
export function visibleFlavors(db: CoreContext["db"], principal: Principal) {
  return db
    .select()
    .from(f)
    .where(and(eq(f.disabled, false), flavorVisibleTo(principal)))
    .orderBy(asc(f.memoryMb), asc(f.vcpus));
}
