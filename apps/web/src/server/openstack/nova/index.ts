import { mv, mvText, type Microversion, type OsCall, type OsService } from "../service";
import { aggregateRoutes } from "./aggregates";
import { availabilityZoneRoutes } from "./availability-zones";
import { computeServiceRoutes } from "./compute-services";
import { flavorRoutes } from "./flavors";
import { hypervisorRoutes } from "./hypervisors";
import { keyPairRoutes } from "./keypairs";
import { quotaRoutes } from "./quotas";
import { serverGroupRoutes } from "./server-groups";
import { serverRoutes } from "./servers";
import { volumeAttachmentRoutes } from "./volume-attachments";

/**
 * Nova v2.1 under `/compute`: the microversions Nimbus implements, Nova's at each. Only 2.1:
 * it is what the stock clients ask for (python-openstackclient 6.0 drives novaclient at 2.1
 * unless told otherwise, and openstacksdk asks for the lesser of its own maximum and this one),
 * and every API group here answers as Nova does at 2.1. A later microversion changes what
 * several groups answer (2.2 key pair types, 2.3 extended server attributes, 2.13 server group
 * owners, 2.19 server descriptions, 2.26 server tags, 2.37 `networks: "auto"`, ...), so it is
 * claimed only once every group behaves as Nova does at it and at each one before it.
 */
export const COMPUTE_MIN_VERSION = mv("2.1");
export const COMPUTE_MAX_VERSION = mv("2.1");

/** Nova's error body: `{"itemNotFound": {"code": 404, "message": "..."}}` and its kin. */
export function novaError(status: number, code: string, message: string) {
  const name =
    status === 400
      ? "badRequest"
      : status === 401
        ? "unauthorized"
        : status === 403
          ? "forbidden"
          : status === 404
            ? "itemNotFound"
            : status === 405
              ? "notAllowed"
              : status === 406
                ? "notAcceptable"
                : status === 409
                  ? "conflictingRequest"
                  : status === 413 || status === 429 || code === "TooManyRequests"
                    ? "overLimit"
                    : status === 503
                      ? "serviceUnavailable"
                      : "computeFault";
  return { [name]: { code: status, message } };
}

const UPDATED = "2013-07-23T11:33:21Z";

function versionDoc(call: OsCall) {
  return {
    id: "v2.1",
    status: "CURRENT",
    version: mvText(COMPUTE_MAX_VERSION),
    min_version: mvText(COMPUTE_MIN_VERSION),
    updated: UPDATED,
    links: [{ rel: "self", href: `${call.baseUrl}/compute/v2.1/` }],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }],
  };
}

export function novaService(): OsService {
  return {
    prefix: "compute",
    errorBody: novaError,
    microversions: {
      service: "compute",
      min: COMPUTE_MIN_VERSION,
      max: COMPUTE_MAX_VERSION,
      legacyHeader: "X-OpenStack-Nova-API-Version",
      appliesTo: /^\/v2\.1\/./,
    },
    headers: ({ requestId, version }: { requestId: string; version: Microversion | null }) => ({
      "x-openstack-request-id": requestId,
      "x-compute-request-id": requestId,
      ...(version
        ? {
            "openstack-api-version": `compute ${mvText(version)}`,
            "x-openstack-nova-api-version": mvText(version),
            vary: "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
          }
        : {}),
    }),
    routes: [
      { method: "GET", path: "", anonymous: true, handle: (call) => ({ status: 200, body: { versions: [versionDoc(call)] } }) },
      { method: "GET", path: "/v2.1", anonymous: true, handle: (call) => ({ status: 200, body: { version: versionDoc(call) } }) },
      ...serverRoutes,
      ...flavorRoutes,
      ...keyPairRoutes,
      ...serverGroupRoutes,
      ...availabilityZoneRoutes,
      ...quotaRoutes,
      ...hypervisorRoutes,
      ...computeServiceRoutes,
      ...aggregateRoutes,
      ...volumeAttachmentRoutes,
    ],
  };
}
