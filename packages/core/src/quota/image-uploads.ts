import { schema, type Executor } from "@nimbus/db";
import { and, eq, sql } from "@nimbus/db/orm";
import { NimbusError } from "../errors";
import { imageUsageBytes, lockProject, quotaLimits } from "./enforce";
import { QUOTA_MIB, type QuotaOverage } from "./limits";

const mib = (bytes: number) => `${(bytes / QUOTA_MIB).toFixed(1)} MiB`;

/**
 * Reserves bytes for an upload under way against its project's `image_size_total` and
 * `image_stage_total`, so that no two uploads of one project can together pass them: the
 * project row is locked (checks of one project run one at a time, each counting the others'
 * committed reservations), and the image's `staged_bytes` raised to at least `atLeast` (the
 * bytes received so far) and at most `want` (a step ahead, so not every chunk costs a round
 * trip). Refuses with QuotaExceeded when even `atLeast` does not fit. Returns the bytes now
 * reserved, or null if the image is no longer being uploaded (deleted or given up meanwhile).
 */
export async function reserveImageUpload(
  db: Executor,
  { projectId, imageId, atLeast, want }: { projectId: string; imageId: string; atLeast: number; want: number },
): Promise<number | null> {
  return db.transaction(async (tx) => {
    await lockProject(tx, projectId);
    const [image] = await tx
      .select({ staged: sql<number>`${schema.images.stagedBytes}::float8` })
      .from(schema.images)
      .where(and(eq(schema.images.id, imageId), eq(schema.images.status, "saving")));
    if (!image) return null;
    const held = Number(image.staged);
    if (held >= atLeast) return held;
    const [limits, used] = await Promise.all([quotaLimits(tx, projectId), imageUsageBytes(tx, projectId)]);
    const headroom = (limitMib: number, inUse: number) => (limitMib < 0 ? Number.POSITIVE_INFINITY : limitMib * QUOTA_MIB - inUse);
    const room = Math.min(headroom(limits.image_size_total, used.sizeBytes), headroom(limits.image_stage_total, used.stagedBytes));
    if (atLeast - held > room) {
      const overSize = atLeast - held > headroom(limits.image_size_total, used.sizeBytes);
      const resource = overSize ? "image_size_total" : "image_stage_total";
      const others = (overSize ? used.sizeBytes : used.stagedBytes) - held;
      const overage: QuotaOverage = {
        resource,
        requested: Math.ceil(atLeast / QUOTA_MIB),
        used: Math.ceil(others / QUOTA_MIB),
        limit: limits[resource],
      };
      const what = overSize ? "image storage (image_size_total)" : "image uploads under way (image_stage_total)";
      throw new NimbusError(
        "QuotaExceeded",
        `Quota exceeded for ${what}: this upload reached ${mib(atLeast)} ` +
          `while the project's other images take ${mib(others)} of ${limits[resource]} MiB.`,
        { overages: [overage] },
      );
    }
    const reserved = held + Math.min(Math.max(want, atLeast) - held, room);
    await tx.update(schema.images).set({ stagedBytes: reserved }).where(eq(schema.images.id, imageId));
    return reserved;
  });
}
