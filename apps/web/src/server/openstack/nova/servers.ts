import type { OsRoute } from "../service";

/** Nova's servers API: to be built. */
export const serverRoutes: OsRoute[] = [];
