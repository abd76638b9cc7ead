import { schema } from "@nimbus/db";
import { and, eq, exists, or, sql, type Placeholder, type SQL } from "@nimbus/db/orm";

/**
 * Glance's visibility rule as a WHERE clause: public images, the project's own, and shared
 * images the project accepted as a member. A share still `pending` (or `rejected`) shows nowhere:
 * not in the images list, the catalog or the launch wizard, and a launch by id finds nothing.
 */
export function imageVisibleTo(projectId: string | Placeholder): SQL {
  return or(
    eq(schema.images.visibility, "public"),
    eq(schema.images.ownerProjectId, projectId),
    and(
      eq(schema.images.visibility, "shared"),
      exists(
        sql`(select 1 from ${schema.imageMembers} m
          where m.image_id = ${schema.images.id} and m.project_id = ${projectId} and m.status = 'accepted')`,
      ),
    ),
  )!;
}
