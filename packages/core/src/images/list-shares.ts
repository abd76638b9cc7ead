import { schema } from "@nimbus/db";
import { and, asc, eq, ne } from "@nimbus/db/orm";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import type { ImageMemberStatus, ImageView } from "./images";
import { imageKindOf } from "./images";

/** An image another project offers to the caller's: what its members need to decide, and their answer. */
export interface ImageShareView {
  id: string;
  name: string;
  kind: ImageView["kind"];
  imageStatus: ImageView["status"];
  diskFormat: string | null;
  sizeBytes: number | null;
  checksumSha256: string | null;
  /** Glance's `checksum` and `os_hash_value` (sha512). */
  checksumMd5: string | null;
  hashSha512: string | null;
  containerFormat: string;
  virtualSizeBytes: number | null;
  minRamMb: number;
  minDiskGb: number;
  protected: boolean;
  properties: Record<string, string>;
  ownerProjectId: string | null;
  ownerProjectName: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The member project's answer: pending until it accepts or rejects. */
  status: ImageMemberStatus;
  offeredAt: Date;
}

/**
 * Glance's member view of shared images: every image offered to the caller's project, with its
 * answer, pending first. Only accepted ones appear in the images list and the catalog; this is
 * where the console shows the others to accept or reject.
 */
export async function listImageShares({ ctx }: { ctx: CoreContext }): Promise<ImageShareView[]> {
  const principal = authorize(ctx.principal, "images.shares");
  const m = schema.imageMembers;
  const rows = await ctx.db
    .select({ image: schema.images, status: m.status, offeredAt: m.createdAt, ownerProjectName: schema.projects.name })
    .from(m)
    .innerJoin(schema.images, eq(schema.images.id, m.imageId))
    .leftJoin(schema.projects, eq(schema.projects.id, schema.images.ownerProjectId))
    .where(and(eq(m.projectId, principal.projectId), eq(schema.images.visibility, "shared"), ne(schema.images.status, "deleted")))
    .orderBy(asc(m.createdAt), asc(schema.images.name));
  const order: Record<ImageMemberStatus, number> = { pending: 0, accepted: 1, rejected: 2 };
  return rows
    .map(({ image, status, offeredAt, ownerProjectName }) => ({
      id: image.id,
      name: image.name,
      kind: imageKindOf(image.diskFormat),
      imageStatus: image.status,
      diskFormat: image.diskFormat,
      sizeBytes: image.sizeBytes,
      checksumSha256: image.checksumSha256,
      checksumMd5: image.checksumMd5,
      hashSha512: image.hashSha512,
      containerFormat: image.containerFormat,
      virtualSizeBytes: image.virtualSizeBytes,
      minRamMb: image.minRamMb,
      minDiskGb: image.minDiskGb,
      protected: image.protected,
      properties: image.properties,
      ownerProjectId: image.ownerProjectId,
      ownerProjectName,
      createdAt: image.createdAt,
      updatedAt: image.updatedAt,
      status,
      offeredAt,
    }))
    .sort((a, b) => order[a.status] - order[b.status]);
}
