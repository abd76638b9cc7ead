import type { OsRoute } from "../service";

/** Nova's flavors API: to be built. */
export const flavorRoutes: OsRoute[] = [];
