import type { OsRoute } from "../service";

/** Nova's keypairs API: to be built. */
export const keyPairRoutes: OsRoute[] = [];
