import { schema } from "@nimbus/db";
import { and, asc, eq } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import type { Principal } from "../policy";

/** The flavors a caller may launch: enabled, and public unless the caller is a cloud admin; smallest first. */
export function visibleFlavors(db: CoreContext["db"], principal: Principal) {
  return db
    .select()
    .from(schema.flavors)
    .where(and(eq(schema.flavors.disabled, false), principal.isAdmin ? undefined : eq(schema.flavors.isPublic, true)))
    .orderBy(asc(schema.flavors.memoryMb), asc(schema.flavors.vcpus));
}
