import type { OsRoute } from "../service";

/** Nova's availability zones API: to be built. */
export const availabilityZoneRoutes: OsRoute[] = [];
