import type { ServerResponse } from "node:http";

/**
 * Headers every answer of the web process carries, pages and API alike: no page of the console
 * may be framed (clickjacking; `frame-ancestors 'none'` in the pages' CSP says it again for
 * browsers that read only that), nothing is sniffed into another content type, and no other
 * site learns which console page linked to it. The pages' Content-Security-Policy, which needs
 * a fresh nonce per page, is set by src/proxy.ts.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

/** An API answer (JSON, image bits) is never a document: it may load nothing and be framed nowhere. */
export function apiSecurityHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
}
