import { createHash } from "node:crypto";

/**
 * The service catalog a Keystone token carries: one endpoint per service on this same server,
 * under its own prefix (the devstack layout, so clients' version discovery finds what it expects).
 * Every interface (public, internal, admin) is the same URL; one region.
 */

export const REGION = "RegionOne";

interface CatalogService {
  type: string;
  name: string;
  /** The endpoint below the server's base URL; `{project}` is the token's project id. */
  path: string;
}

export const CATALOG_SERVICES: readonly CatalogService[] = [
  { type: "identity", name: "keystone", path: "/identity" },
  { type: "compute", name: "nova", path: "/compute/v2.1" },
  { type: "image", name: "glance", path: "/image" },
  { type: "network", name: "neutron", path: "/network" },
  // Cinder under both of its types: `block-storage` (openstacksdk) and `volumev3` (cinderclient).
  { type: "block-storage", name: "cinder", path: "/volume/v3/{project}" },
  { type: "volumev3", name: "cinderv3", path: "/volume/v3/{project}" },
];

/** A stable id of a name (Keystone ids are 32 hex digits). */
export const stableId = (name: string) => createHash("md5").update(name).digest("hex");

export function serviceCatalog(baseUrl: string, projectId: string) {
  return CATALOG_SERVICES.map((service) => {
    const url = `${baseUrl}${service.path.replace("{project}", projectId)}`;
    return {
      id: stableId(`service:${service.type}`),
      type: service.type,
      name: service.name,
      endpoints: (["public", "internal", "admin"] as const).map((iface) => ({
        id: stableId(`endpoint:${service.type}:${iface}`),
        interface: iface,
        region: REGION,
        region_id: REGION,
        url,
      })),
    };
  });
}
