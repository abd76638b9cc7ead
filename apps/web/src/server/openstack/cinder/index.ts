import { mv, mvText, type Microversion, type OsCall, type OsService } from "../service";
import { quotaRoutes } from "./quotas";
import { volumeRoutes } from "./volumes";

/**
 * Cinder v3 under `/volume` (the catalog's endpoint is `/volume/v3/{project_id}`): the versions
 * document at the root, volumes, quota sets and limits, each calling the core verbs the console's
 * Volumes page calls; errors in Cinder's (Nova-like) fault shape.
 */

/**
 * The microversions Nimbus honours, each's change to what these routes answer: 3.13 group_id,
 * 3.21 provider_id (admins), 3.45 count with `with_count`, 3.48 shared_targets and
 * service_uuid. 3.50 (multiattach) changes only what create accepts: Nimbus refuses it.
 */
export const VOLUME_MIN_VERSION = mv("3.0");
export const VOLUME_MAX_VERSION = mv("3.50");

const FAULT_NAMES: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  406: "notAcceptable",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

/** Cinder's fault body: `{"itemNotFound": {"code": 404, "message": "..."}}` and its kin (Nova's shape). */
export function cinderError(status: number, _code: string, message: string) {
  return { [FAULT_NAMES[status] ?? "computeFault"]: { code: status, message } };
}

const UPDATED = "2022-08-31T00:00:00Z";

function versionEntry(call: OsCall) {
  return {
    id: "v3.0",
    status: "CURRENT",
    version: mvText(VOLUME_MAX_VERSION),
    min_version: mvText(VOLUME_MIN_VERSION),
    updated: UPDATED,
    links: [
      { rel: "describedby", type: "text/html", href: "https://docs.openstack.org/" },
      { rel: "self", href: `${call.baseUrl}/volume/v3/` },
    ],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.volume+json;version=3" }],
  };
}

export function cinderService(): OsService {
  return {
    prefix: "volume",
    errorBody: cinderError,
    microversions: {
      service: "volume",
      min: VOLUME_MIN_VERSION,
      max: VOLUME_MAX_VERSION,
      appliesTo: /^\/v3\/[^/]+\/./,
    },
    headers: ({ requestId, version }: { requestId: string; version: Microversion | null }) => ({
      "x-openstack-request-id": requestId,
      ...(version ? { "openstack-api-version": `volume ${mvText(version)}`, vary: "OpenStack-API-Version" } : {}),
    }),
    routes: [
      { method: "GET", path: "", anonymous: true, handle: (call) => ({ status: 300, body: { versions: [versionEntry(call)] } }) },
      { method: "GET", path: "/v3", anonymous: true, handle: (call) => ({ status: 200, body: { versions: [versionEntry(call)] } }) },
      ...volumeRoutes,
      ...quotaRoutes,
    ],
  };
}
