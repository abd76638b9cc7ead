import type { OsCall, OsService } from "../service";
import { imageRoutes, type GlanceOptions } from "./images";
import { memberRoutes } from "./members";

/**
 * Glance v2 under `/image`: the versions document at the root (as keystoneauth's discovery reads
 * it), images with their data and members, and errors in Glance's own shape. Every route calls
 * the core verbs the console's Images page calls.
 */

/** The v2 minor versions Nimbus serves: 2.7 brought os_hidden and the os_hash_* fields, the newest it has. */
const MINORS = [7, 6, 5, 4, 3, 2, 1, 0];

function versions(call: OsCall) {
  const href = `${call.baseUrl}/image/v2/`;
  return {
    versions: MINORS.map((minor, i) => ({ id: `v2.${minor}`, status: i === 0 ? "CURRENT" : "SUPPORTED", links: [{ rel: "self", href }] })),
  };
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

/**
 * Glance's error body: webob's JSON rendering of an HTTP exception, `{"message", "code", "title"}`
 * with `code` the whole status line (the message is the explanation alone, without the HTML line
 * breaks webob's template adds, so that the clients print plain words). A 401 is
 * keystonemiddleware's, which answers before Glance does.
 */
export function glanceError(status: number, _code: string, message: string) {
  const title = TITLES[status] ?? "Error";
  if (status === 401) return { error: { code: 401, title: "Unauthorized", message } };
  return { message, code: `${status} ${title}`, title };
}

export function glanceService(options: GlanceOptions): OsService {
  const root = (call: OsCall) => ({ status: 300, body: versions(call) });
  return {
    prefix: "image",
    errorBody: glanceError,
    headers: ({ requestId }) => ({ "x-openstack-request-id": requestId }),
    routes: [
      { method: "GET", path: "", anonymous: true, handle: root },
      { method: "GET", path: "/versions", anonymous: true, handle: (call) => ({ status: 200, body: versions(call) }) },
      { method: "GET", path: "/v2", anonymous: true, handle: root },
      ...imageRoutes(options),
      ...memberRoutes,
    ],
  };
}
