import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import type { Services } from "@nimbus/core/context";
import { NimbusError, isNimbusError, publicError } from "@nimbus/core/errors";
import { verifyAgentSecret, verifyHostCredential } from "@nimbus/core/hosts";
import { authorize, type Principal } from "@nimbus/core/policy";
import { imageFileForHost } from "@nimbus/core/images";
import { hostnameSchema } from "@nimbus/core/protocol/agent";
import { HTTP_STATUS, replyJson } from "./http-reply";
import { bearerToken } from "./request-guards";
import { sameSecret } from "./secrets";

export interface ImageDownloadDeps {
  services: Services;
  /** The shared bootstrap secret, or null when only enrolled hosts are accepted. */
  agentSecret: string | null;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null }>;
  log: Logger;
}

/** `{ error }` as the enrolment route answers, which is what the agent reads. */
function reply(res: ServerResponse, status: number, error: string, headers: Record<string, string> = {}): void {
  replyJson(res, status, { error }, headers);
}

/**
 * Authenticates the caller exactly as the agent socket's handshake does: `X-Nimbus-Hostname`
 * with `Authorization: Bearer <host credential>` (enrolled hosts) or `X-Nimbus-Agent-Secret`
 * (single-machine installs). Without either, the caller is whoever their session or API token
 * says, and `http:agent-image-download` (rule "agent") refuses them.
 */
export async function authenticateAgent(
  req: IncomingMessage,
  { services, agentSecret, resolvePrincipal }: Pick<ImageDownloadDeps, "services" | "agentSecret" | "resolvePrincipal">,
  /** What a signed-in user or API token is refused as (rule "agent"), and why in words. */
  refusal: { policy: "http:agent-image-download" | "http:agent-snapshot-upload"; message: string } = {
    policy: "http:agent-image-download",
    message: "Only compute agents may download image files.",
  },
): Promise<string> {
  const credential = bearerToken(req);
  const secret = req.headers["x-nimbus-agent-secret"];
  const hostnameHeader = req.headers["x-nimbus-hostname"];
  if (credential === null && typeof secret !== "string") {
    const { principal } = await resolvePrincipal(req);
    if (!principal)
      throw NimbusError.unauthenticated("Present the host credential (Authorization: Bearer) or the agent secret, with X-Nimbus-Hostname.");
    // Rule "agent": a signed-in user or API token is refused here.
    authorize(principal, refusal.policy);
    throw NimbusError.forbidden(refusal.message);
  }
  const hostname = hostnameSchema.safeParse(hostnameHeader);
  if (!hostname.success) throw NimbusError.unauthenticated("Name the host in X-Nimbus-Hostname.");
  const ok =
    credential !== null
      ? await verifyHostCredential(services.db, hostname.data, credential)
      : await verifyAgentSecret(services.db, hostname.data, agentSecret !== null && sameSecret(String(secret), agentSecret));
  if (!ok) throw NimbusError.unauthenticated(credential !== null ? "Host credential invalid or revoked." : "Invalid agent credential.");
  return hostname.data;
}

/** A single `bytes=` range (resuming a download); null means the whole file, "invalid" is 416. */
function rangeOf(header: string | undefined, size: number): { start: number; end: number } | null | "invalid" {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return "invalid";
  let start: number;
  let end: number;
  if (match[1] === "") {
    // bytes=-N: the last N bytes.
    const suffix = Number(match[2]);
    if (suffix === 0) return "invalid";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "invalid";
  return { start, end };
}

/**
 * GET /api/agent/images/:id/file: a compute agent fetches an active image's bits to its cache,
 * with Content-Length and X-Checksum-Sha256 to verify them, and `Range` to resume; only an image
 * that a build or instance on its own host uses (core's `imageFileForHost`), else 404.
 */
export function imageDownloadHandler(deps: ImageDownloadDeps) {
  const { services, log } = deps;
  return async (req: IncomingMessage, res: ServerResponse, imageId: string): Promise<void> => {
    // Only GET and HEAD reach here: the route table answers any other method with 405 and Allow.
    return authenticateAgent(req, deps)
      .then(async (hostname) => {
        const { image, path, sizeBytes } = await imageFileForHost(services, { imageId, hostname });
        const range = rangeOf(req.headers.range, sizeBytes);
        if (range === "invalid") return reply(res, 416, "Range not satisfiable.", { "content-range": `bytes */${sizeBytes}` });
        const start = range?.start ?? 0;
        const end = range?.end ?? sizeBytes - 1;
        const headers: Record<string, string> = {
          "content-type": "application/octet-stream",
          "content-length": String(sizeBytes === 0 ? 0 : end - start + 1),
          "accept-ranges": "bytes",
          "x-checksum-sha256": image.checksumSha256!,
          etag: `"${image.checksumSha256!}"`,
          "cache-control": "no-store",
        };
        if (range) headers["content-range"] = `bytes ${start}-${end}/${sizeBytes}`;
        res.writeHead(range ? 206 : 200, headers);
        if (req.method === "HEAD" || sizeBytes === 0) return void res.end();
        log.info({ imageId, hostname, start, end }, "image download started");
        await pipeline(createReadStream(path, { start, end }), res).catch((error: unknown) => {
          // The agent went away or the file vanished mid-way; the agent retries and verifies.
          log.warn({ imageId, hostname, reason: error instanceof Error ? error.message : String(error) }, "image download interrupted");
        });
      })
      .catch((error: unknown) => {
        const { code, message } = publicError(error);
        if (isNimbusError(error)) log.warn({ imageId, code, address: req.socket.remoteAddress }, "image download refused");
        else log.error({ err: error, imageId }, "image download failed");
        if (res.headersSent) return void res.destroy();
        reply(res, HTTP_STATUS[code], message, code === "Unauthenticated" ? { "www-authenticate": 'Bearer realm="nimbus-agent"' } : {});
      });
  };
}
