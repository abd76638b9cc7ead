import { stat } from "node:fs/promises";
import { rowFromJson, schema, statement } from "@nimbus/db";
import { sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { Services } from "../context";
import { NimbusError } from "../errors";
import { imageFilePath } from "./import";
import type { ImageRow } from "@nimbus/db/schema";

/**
 * The image a host may fetch, in one statement: an active image that an instance placed on the
 * host (building or built: what it holds in its cache is for those), or being live-migrated to
 * it (its destination caches the base of the overlay the copy fills), uses as its root disk, its
 * kernel or its ramdisk, or that a volume attached to such an instance is made from. Nothing
 * else: any other image, another project's or its own, is as absent as an unknown id.
 */
const readImageForHost = statement<"imageId" | "hostname", { image: unknown }>((v) => {
  const { images, instances, computeHosts, volumeAttachments, volumes, migrations } = schema;
  return sql`
    with host as (select id from ${computeHosts} where hostname = ${v.hostname}::text),
    used as (
      select 1 from ${instances} i left join ${images} root on root.id = i.image_id
      where (i.host_id = (select id from host) or exists (
          select 1 from ${migrations} m where m.instance_id = i.id and m.dest_host_id = (select id from host)
            and m.migration_type = 'live-migration' and m.status in ('preparing', 'running')))
        and i.vm_state <> 'deleted'
        and (i.image_id = ${v.imageId}::uuid or root.properties->>'kernel_id' = ${v.imageId}::text
          or root.properties->>'ramdisk_id' = ${v.imageId}::text)
      union all
      select 1 from ${volumeAttachments} a join ${instances} i on i.id = a.instance_id join ${volumes} vol on vol.id = a.volume_id
      where i.host_id = (select id from host) and i.vm_state <> 'deleted' and vol.image_id = ${v.imageId}::uuid
    )
    select row_to_json(img) as image from ${images} img
    where img.id = ${v.imageId}::uuid and img.status = 'active' and exists (select 1 from used)`;
});

/**
 * An image's file as the agent of `hostname` downloads it (Glance's data download, scoped to
 * the host): only while a build or an instance on that host uses the image (see
 * `readImageForHost`); anything else is NotFound, which says nothing of whether the image exists.
 */
export async function imageFileForHost(
  services: Pick<Services, "db" | "imageStoreDir">,
  { imageId, hostname }: { imageId: string; hostname: string },
): Promise<{ image: ImageRow; path: string; sizeBytes: number }> {
  if (!z.uuid().safeParse(imageId).success) throw NimbusError.notFound("Image", imageId);
  const [row] = await readImageForHost(services.db, { imageId, hostname });
  const image = row?.image ? rowFromJson(schema.images, row.image) : null;
  if (!image?.checksumSha256) throw NimbusError.notFound("Image", imageId);
  const path = imageFilePath(services.imageStoreDir, image.id);
  const found = await stat(path).catch(() => null);
  if (!found) throw NimbusError.notFound("Image", imageId);
  return { image, path, sizeBytes: found.size };
}
