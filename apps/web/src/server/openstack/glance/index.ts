import type { OsService } from "../service";

/** Glance under `/image`: to be built (version document, routes, error body). */
export function glanceService(): OsService {
  return {
    prefix: "image",
    errorBody: (status, _code, message) => ({ error: { code: status, message } }),
    routes: [],
  };
}
