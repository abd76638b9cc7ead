import type { OsRoute } from "../service";

/** Nova's server groups API: to be built. */
export const serverGroupRoutes: OsRoute[] = [];
