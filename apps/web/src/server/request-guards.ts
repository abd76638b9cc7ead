import type { IncomingMessage } from "node:http";

/** An API token from `Authorization: Bearer …` or Keystone's `X-Auth-Token`. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim() || null;
  const keystone = req.headers["x-auth-token"];
  return typeof keystone === "string" && keystone.length > 0 ? keystone : null;
}

/**
 * CSRF defence for the API: a POST must carry JSON (HTML forms cannot send it) and, when a
 * browser names its Origin, it must be this site.
 */
export function refuseUnsafePost(req: IncomingMessage): { status: number; error: string } | null {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, error: "mutations must be JSON (content-type: application/json)" };
  return refuseCrossOrigin(req);
}

/**
 * CSRF defence for an image upload (PUT of raw bytes): it must say application/octet-stream
 * (a cross-site page cannot send a PUT at all without a CORS preflight, which is never granted)
 * and, when a browser names its Origin, it must be this site.
 */
export function refuseUnsafeUpload(req: IncomingMessage): { status: number; error: string } | null {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/octet-stream") return { status: 415, error: "upload the image as raw bytes (content-type: application/octet-stream)" };
  return refuseCrossOrigin(req);
}

/** A browser's request from another site (its Origin names another host) is refused. */
function refuseCrossOrigin(req: IncomingMessage): { status: number; error: string } | null {
  const origin = req.headers.origin;
  if (origin) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host !== req.headers.host) return { status: 403, error: "cross-origin request refused" };
  }
  return null;
}
