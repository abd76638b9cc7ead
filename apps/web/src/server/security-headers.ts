import type { ServerResponse } from "node:http";

/**
 * Headers every answer of the web process carries, pages and API alike: no page of the console
 * may be framed (clickjacking; `frame-ancestors 'none'` in the pages' CSP says it again for
 * browsers that read only that), nothing is sniffed into another content type, and no other
 * site learns which console page linked to it. The pages' Content-Security-Policy, which needs
 * a fresh nonce per page, is set by src/proxy.ts (pageContentSecurityPolicy below).
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

/**
 * A console page's Content-Security-Policy. Scripts run only from a tag carrying this page's
 * nonce (Next.js stamps its own bootstrap and bundles with it; `'strict-dynamic'` lets them
 * load the chunks they need), so a script an attacker slips into the page never runs. Styles
 * may be inline: Mantine sets style attributes, which no nonce can cover, and a style cannot
 * run code. The page talks only to its own origin, socket.io's WebSocket included (CSP 3's
 * `'self'` covers ws: and wss: on the same host), and can be framed by no one. Development
 * (`next dev`) needs `'unsafe-eval'` for React's error overlays; production never does.
 */
export function pageContentSecurityPolicy(nonce: string, { dev }: { dev: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
