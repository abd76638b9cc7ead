import type { OsRoute } from "../service";

/** Nova's quotas API: to be built. */
export const quotaRoutes: OsRoute[] = [];
