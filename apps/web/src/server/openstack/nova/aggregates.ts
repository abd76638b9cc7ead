import type { OsRoute } from "../service";

/** Nova's aggregates API: to be built. */
export const aggregateRoutes: OsRoute[] = [];
