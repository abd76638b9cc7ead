import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import { forwardedHttps, type TrustedProxies } from "./client-address";

/** An API token from `Authorization: Bearer …` or Keystone's `X-Auth-Token`. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (header?.toLowerCase().startsWith("bearer ")) return header.slice(7).trim() || null;
  const keystone = req.headers["x-auth-token"];
  return typeof keystone === "string" && keystone.length > 0 ? keystone : null;
}

/**
 * How this site knows its own origin: the request's Host, with the scheme it is served over:
 * https when the console is served over HTTPS (NIMBUS_SECURE_COOKIES: behind a TLS proxy), the
 * connection itself is TLS, or a trusted proxy's `X-Forwarded-Proto` says so; http otherwise.
 */
export interface SiteOrigin {
  https: boolean;
  proxies: TrustedProxies;
}

type Refusal = { status: number; error: string };

/**
 * CSRF defence for the API: a POST must carry JSON (HTML forms cannot send it) and, when a
 * browser names its Origin, it must be this site.
 */
export function refuseUnsafePost(req: IncomingMessage, site: SiteOrigin): Refusal | null {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") return { status: 415, error: "mutations must be JSON (content-type: application/json)" };
  return refuseCrossOrigin(req, site);
}

/**
 * CSRF defence for an image upload (PUT of raw bytes): it must say application/octet-stream
 * (a cross-site page cannot send a PUT at all without a CORS preflight, which is never granted)
 * and, when a browser names its Origin, it must be this site.
 */
export function refuseUnsafeUpload(req: IncomingMessage, site: SiteOrigin): Refusal | null {
  const type = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/octet-stream") return { status: 415, error: "upload the image as raw bytes (content-type: application/octet-stream)" };
  return refuseCrossOrigin(req, site);
}

/** A host as a Host header may name it: a name or address, with a port. */
const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** This site's origin (`http://host:port`) for a request, or null without a usable Host. */
export function ownOrigin(req: IncomingMessage, site: SiteOrigin): string | null {
  const host = req.headers.host;
  if (!host || !HOST.test(host)) return null;
  const https = site.https || (req.socket as Partial<TLSSocket>).encrypted === true || forwardedHttps(req, site.proxies) === true;
  try {
    return new URL(`${https ? "https" : "http"}://${host}`).origin;
  } catch {
    return null;
  }
}

/**
 * A browser's request from another origin is refused: when it names its Origin, the whole of it
 * (scheme, host and port) must be this site's. A page on another port of the same host is
 * another origin (though the same site, so a SameSite=Lax cookie goes with it), and so is
 * `https://host:port` on an http server. Used for tRPC mutations, image uploads and the
 * socket.io handshake. Clients that are not browsers (scripts, agents) send no Origin.
 */
export function refuseCrossOrigin(req: IncomingMessage, site: SiteOrigin): Refusal | null {
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let theirs: string | null = null;
  try {
    theirs = new URL(origin).origin;
  } catch {
    theirs = null;
  }
  const own = ownOrigin(req, site);
  return theirs !== null && own !== null && theirs === own ? null : { status: 403, error: "cross-origin request refused" };
}
