import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { trustedProxies } from "./client-address";
import { refuseCrossOrigin, type SiteOrigin } from "./request-guards";

function request(headers: Record<string, string>, { peer = "127.0.0.1", tls = false } = {}): IncomingMessage {
  return { socket: { remoteAddress: peer, encrypted: tls }, headers } as unknown as IncomingMessage;
}

const http: SiteOrigin = { https: false, proxies: trustedProxies([]) };
const allowed = (headers: Record<string, string>, site = http, options = {}) => refuseCrossOrigin(request(headers, options), site) === null;

describe("refuseCrossOrigin: the whole origin (scheme, host, port) must be this site's", () => {
  it("lets requests without an Origin through (scripts, agents)", () => {
    expect(allowed({ host: "console.example:3000" })).toBe(true);
  });

  it("lets this origin through, default ports and letter case as browsers write them", () => {
    expect(allowed({ host: "console.example:3000", origin: "http://console.example:3000" })).toBe(true);
    expect(allowed({ host: "console.example", origin: "http://console.example" })).toBe(true);
    expect(allowed({ host: "console.example:80", origin: "http://console.example" })).toBe(true);
    expect(allowed({ host: "Console.Example:3000", origin: "http://console.example:3000" })).toBe(true);
    expect(allowed({ host: "[::1]:3000", origin: "http://[::1]:3000" })).toBe(true);
  });

  it("refuses another port of the same host, another scheme, another host and opaque origins", () => {
    expect(allowed({ host: "console.example:3000", origin: "http://console.example:3001" })).toBe(false);
    expect(allowed({ host: "console.example:3000", origin: "https://console.example:3000" })).toBe(false);
    expect(allowed({ host: "console.example:3000", origin: "http://evil.example:3000" })).toBe(false);
    expect(allowed({ host: "console.example:3000", origin: "null" })).toBe(false);
    expect(allowed({ host: "console.example:3000", origin: "file:///tmp/page.html" })).toBe(false);
    expect(allowed({ origin: "http://console.example:3000" })).toBe(false);
    expect(allowed({ host: "console.example:3000/x", origin: "http://console.example:3000" })).toBe(false);
  });

  it("expects https when served over HTTPS: secure cookies, a TLS socket, or a trusted proxy's X-Forwarded-Proto", () => {
    const behindTls: SiteOrigin = { https: true, proxies: trustedProxies([]) };
    expect(allowed({ host: "console.example", origin: "https://console.example" }, behindTls)).toBe(true);
    expect(allowed({ host: "console.example", origin: "http://console.example" }, behindTls)).toBe(false);
    expect(allowed({ host: "console.example", origin: "https://console.example" }, http, { tls: true })).toBe(true);

    const proxied: SiteOrigin = { https: false, proxies: trustedProxies(["10.0.0.0/8"]) };
    const viaProxy = { host: "console.example", origin: "https://console.example", "x-forwarded-proto": "https" };
    expect(allowed(viaProxy, proxied, { peer: "10.0.0.2" })).toBe(true);
    // Anyone else's X-Forwarded-Proto is their own word.
    expect(allowed(viaProxy, proxied, { peer: "198.51.100.7" })).toBe(false);
  });
});
