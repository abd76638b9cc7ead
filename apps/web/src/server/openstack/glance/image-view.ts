import type { ImageShareView, ImageView } from "@nimbus/core/images";
import { isoSeconds } from "../service";

/** What Glance's image view shows of an image. */
export type GlanceImageSource = Pick<
  ImageView,
  | "id"
  | "name"
  | "status"
  | "visibility"
  | "protected"
  | "checksumMd5"
  | "hashSha512"
  | "ownerProjectId"
  | "sizeBytes"
  | "virtualSizeBytes"
  | "minRamMb"
  | "minDiskGb"
  | "diskFormat"
  | "containerFormat"
  | "properties"
  | "createdAt"
  | "updatedAt"
>;

/** An image offered to the caller's project (a share it has not accepted), as Glance shows it to a member. */
export function shareAsImage({ imageStatus, ...share }: ImageShareView): GlanceImageSource {
  return { ...share, status: imageStatus, visibility: "shared" };
}

/** Glance's image as v2 writes it: its attributes, then every property flattened beside them. */
export function glanceImage(image: GlanceImageSource) {
  return {
    ...image.properties,
    id: image.id,
    name: image.name,
    status: image.status,
    visibility: image.visibility,
    protected: image.protected,
    os_hidden: false,
    checksum: image.checksumMd5,
    os_hash_algo: image.hashSha512 ? "sha512" : null,
    os_hash_value: image.hashSha512,
    owner: image.ownerProjectId,
    size: image.sizeBytes,
    virtual_size: image.virtualSizeBytes,
    min_ram: image.minRamMb,
    min_disk: image.minDiskGb,
    disk_format: image.diskFormat,
    container_format: image.containerFormat,
    tags: [] as string[],
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    self: `/v2/images/${image.id}`,
    file: `/v2/images/${image.id}/file`,
    schema: "/v2/schemas/image",
  };
}

/** Glance's image member. */
export function glanceMember(image: Pick<ImageView, "id" | "createdAt" | "updatedAt">, member: { projectId: string; status: string }) {
  return {
    image_id: image.id,
    member_id: member.projectId,
    status: member.status,
    created_at: isoSeconds(image.createdAt),
    updated_at: isoSeconds(image.updatedAt),
    schema: "/v2/schemas/member",
  };
}
