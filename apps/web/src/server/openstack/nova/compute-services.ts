import type { OsRoute } from "../service";

/** Nova's compute services API: to be built. */
export const computeServiceRoutes: OsRoute[] = [];
