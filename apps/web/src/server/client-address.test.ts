import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientAddress, forwardedHttps, trustedProxies } from "./client-address";

function request(peer: string, headers: Record<string, string | string[]> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

const proxies = trustedProxies(["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"]);

describe("clientAddress", () => {
  it("is the peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "203.0.113.5" }), trustedProxies([]))).toBe("10.1.2.3");
  });

  it("is the peer when the peer is not a trusted proxy", () => {
    expect(clientAddress(request("198.51.100.7", { "x-forwarded-for": "203.0.113.5" }), proxies)).toBe("198.51.100.7");
  });

  it("is the address a trusted proxy heard from", () => {
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "203.0.113.5" }), proxies)).toBe("203.0.113.5");
    expect(clientAddress(request("192.0.2.1", { "x-forwarded-for": "203.0.113.5" }), proxies)).toBe("203.0.113.5");
    expect(clientAddress(request("::ffff:10.1.2.3", { "x-forwarded-for": "203.0.113.5" }), proxies)).toBe("203.0.113.5");
  });

  it("reads from the right past trusted proxies, so what a client wrote itself is never taken", () => {
    const chain = { "x-forwarded-for": "1.1.1.1, 203.0.113.5, 10.9.9.9" };
    expect(clientAddress(request("10.1.2.3", chain), proxies)).toBe("203.0.113.5");
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": ["1.1.1.1", "203.0.113.5"] }), proxies)).toBe("203.0.113.5");
  });

  it("takes the leftmost when every hop is a trusted proxy, and IPv6 and ports as proxies write them", () => {
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "10.0.0.7, 10.0.0.8" }), proxies)).toBe("10.0.0.7");
    expect(
      clientAddress(request("2001:db8::1", { "x-forwarded-for": "[2001:db8:ffff::9]:443, 2001:db8::2" }), trustedProxies(["2001:db8::/48"])),
    ).toBe("2001:db8:ffff::9");
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "203.0.113.5:61000" }), proxies)).toBe("203.0.113.5");
  });

  it("stops at a hop that is not an address, and keeps the last address it trusted", () => {
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "203.0.113.5, not-an-ip" }), proxies)).toBe("10.1.2.3");
    expect(clientAddress(request("10.1.2.3", { "x-forwarded-for": "'; drop table users; --, 10.0.0.8" }), proxies)).toBe("10.0.0.8");
    expect(clientAddress(request("10.1.2.3"), proxies)).toBe("10.1.2.3");
  });
});

describe("forwardedHttps", () => {
  it("believes X-Forwarded-Proto from a trusted proxy only", () => {
    expect(forwardedHttps(request("10.1.2.3", { "x-forwarded-proto": "https" }), proxies)).toBe(true);
    expect(forwardedHttps(request("10.1.2.3", { "x-forwarded-proto": "http" }), proxies)).toBe(false);
    expect(forwardedHttps(request("198.51.100.7", { "x-forwarded-proto": "https" }), proxies)).toBeNull();
    expect(forwardedHttps(request("10.1.2.3"), proxies)).toBeNull();
  });
});
