import type { OsService } from "../service";

/** Neutron under `/network`: to be built (version document, routes, error body). */
export function neutronService(): OsService {
  return {
    prefix: "network",
    errorBody: (status, _code, message) => ({ error: { code: status, message } }),
    routes: [],
  };
}
