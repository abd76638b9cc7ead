import type { OsService } from "../service";

/** Cinder under `/volume`: to be built (version document, routes, error body). */
export function cinderService(): OsService {
  return {
    prefix: "volume",
    errorBody: (status, _code, message) => ({ error: { code: status, message } }),
    routes: [],
  };
}
