import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { uploadSnapshotData } from "@nimbus/core/compute";
import type { Services } from "@nimbus/core/context";
import type { Principal } from "@nimbus/core/policy";
import { SNAPSHOT_SIMULATED_HEADER } from "@nimbus/core/protocol/http";
import { replyJson } from "./http-reply";
import { authenticateAgent } from "./image-download";
import { receiveBits, uploadFailure } from "./image-upload";

export interface SnapshotUploadDeps {
  services: Services;
  /** The shared bootstrap secret, or null when only enrolled hosts are accepted. */
  agentSecret: string | null;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null }>;
  clientAddress(req: IncomingMessage): string | null;
  /** NIMBUS_IMAGE_MAX_BYTES, as for any upload. */
  maxBytes: number;
  log: Logger;
}

/**
 * PUT /api/agent/snapshots/:imageId/file: a compute agent uploads the disk copy of a snapshot
 * one of its instances is taking (Nova's compute pushing the image to Glance). Authenticated as
 * the agent's image download is (host credential, or the shared secret), authorized only for an
 * image a snapshot task on that very host fills (core's `uploadSnapshotData`, else 404), and
 * received by the bit receiver every upload shares (`receiveBits`): checksums, size cap, image
 * quotas (413), `saving` ─▶ `active`, or `killed`. Answers `{ error }` as the agent reads it.
 */
export function snapshotUploadHandler(deps: SnapshotUploadDeps) {
  const { services, maxBytes, log, clientAddress } = deps;
  return async (req: IncomingMessage, res: ServerResponse, imageId: string): Promise<void> => {
    const reply = (status: number, body: unknown) => {
      if (res.headersSent || res.destroyed) return;
      // A refusal sent before the body was read: the connection cannot carry another request.
      replyJson(res, status, body, req.complete ? {} : { connection: "close" });
    };
    return authenticateAgent(req, deps, { policy: "http:agent-snapshot-upload", message: "Only compute agents may upload snapshots." })
      .then((hostname) =>
        receiveBits(req, { imageId, log }, (declaredBytes) =>
          uploadSnapshotData({
            ctx: { ...services, principal: null, requestId: `req-${randomUUID()}`, remoteAddress: clientAddress(req) },
            input: { hostname, imageId, body: req, maxBytes, declaredBytes, simulated: req.headers[SNAPSHOT_SIMULATED_HEADER] === "true" },
          }),
        ),
      )
      .then(
        (image) => reply(200, image),
        (error: unknown) => {
          const failure = uploadFailure(error, { imageId, log });
          reply(failure.status, { error: failure.message });
        },
      );
  };
}
