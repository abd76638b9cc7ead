import type { OsRoute } from "../service";

/** Nova's hypervisors API: to be built. */
export const hypervisorRoutes: OsRoute[] = [];
