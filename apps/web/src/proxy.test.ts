import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { proxy } from "./proxy";

describe("the pages' proxy", () => {
  it("gives every page a fresh nonce, in the policy the browser gets and in the request Next.js renders", () => {
    const first = proxy(new NextRequest("http://console.example/login"));
    const second = proxy(new NextRequest("http://console.example/login"));
    const policy = first.headers.get("content-security-policy")!;
    const nonce = /'nonce-([A-Za-z0-9+/=]{24})'/.exec(policy)?.[1];
    expect(nonce).toBeDefined();
    // Next.js renders the page with these request headers: it stamps its scripts with the nonce it finds in the CSP.
    expect(first.headers.get("x-middleware-request-content-security-policy")).toBe(policy);
    expect(first.headers.get("x-middleware-request-x-nonce")).toBe(nonce);
    expect(second.headers.get("content-security-policy")).not.toBe(policy);
  });

  it("allows no inline script and no framing, and connects only to its own origin", () => {
    const policy = proxy(new NextRequest("http://console.example/project/instances")).headers.get("content-security-policy")!;
    const directives = Object.fromEntries(policy.split("; ").map((d) => [d.split(" ")[0], d.split(" ").slice(1)]));
    expect(directives["script-src"]).not.toContain("'unsafe-inline'");
    expect(directives["script-src"]).toContain("'strict-dynamic'");
    expect(directives["frame-ancestors"]).toEqual(["'none'"]);
    expect(directives["connect-src"]).toEqual(["'self'"]);
    expect(directives["object-src"]).toEqual(["'none'"]);
  });
});
