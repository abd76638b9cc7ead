import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * The console under its Content-Security-Policy: pages carry the browser security headers, no
 * script runs without the page's nonce (an injected one is refused), no other page can frame
 * the console, and with all that the console still works, live socket included, without the
 * browser reporting a single violation.
 */

declare global {
  interface Window {
    __violations?: string[];
    __injected?: boolean;
  }
}

test("pages forbid framing and un-nonced script, and the console works under that policy", async ({ page, baseURL }) => {
  await page.addInitScript(() => {
    window.__violations = [];
    document.addEventListener("securitypolicyviolation", (event) => window.__violations!.push(`${event.effectiveDirective} ${event.blockedURI}`));
  });
  const sockets: string[] = [];
  page.on("websocket", (socket) => sockets.push(socket.url()));

  const login = await page.goto("/login");
  const headers = login!.headers();
  expect(headers["x-frame-options"]).toBe("DENY");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["referrer-policy"]).toBe("same-origin");
  expect(headers["x-powered-by"]).toBeUndefined();
  const policy = headers["content-security-policy"]!;
  expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'(;|$)/);
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-eval");
  // A fresh nonce for every page.
  const again = await page.request.get("/login");
  expect(again.headers()["content-security-policy"]).not.toBe(policy);

  // The console works: sign in, pages render, the live socket connects over WebSocket.
  await signIn(page);
  await page.getByRole("link", { name: "Images" }).click();
  await expect(page.getByRole("heading", { name: "Images" })).toBeVisible();
  await page.getByRole("link", { name: "Host inventory" }).click();
  await expect(page.getByRole("heading", { name: "Host inventory" })).toBeVisible();
  await expect.poll(() => sockets.some((url) => url.includes("/socket.io/") && url.includes("transport=websocket"))).toBe(true);
  expect(await page.evaluate(() => window.__violations)).toEqual([]);

  // Markup slipped into the page (as an XSS would) runs no script, and the browser says why.
  await page.evaluate(() => {
    const slot = document.createElement("div");
    slot.innerHTML = '<img alt="" src="data:," onerror="window.__injected = true">';
    document.body.append(slot);
  });
  await expect.poll(() => page.evaluate(() => window.__violations)).toEqual(["script-src-attr inline"]);
  expect(await page.evaluate(() => window.__injected)).toBeUndefined();

  // API answers carry the headers too, with a policy that loads nothing.
  const api = await page.request.get("/api/trpc/auth.whoami");
  expect(api.headers()["x-frame-options"]).toBe("DENY");
  expect(api.headers()["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'");

  // Another page cannot frame the console: the browser shows its own error page in the frame instead.
  await page.goto("about:blank");
  await page.setContent(`<iframe title="framed console" src="${baseURL}/login"></iframe>`);
  await expect.poll(() => page.frames()[1]?.url()).toBe("chrome-error://chromewebdata/");
  await expect(page.frameLocator("iframe").getByRole("heading", { name: "Sign in to Nimbus" })).toHaveCount(0);
});

test("malformed percent-encodings in page and asset URLs answer 4xx, and the console keeps serving", async ({ request }) => {
  for (const target of ["/%E0", "/project/%E0", "/project/instances/%ED%A0%80", "/_next/static/chunks/%E0.js", "/login?next=%E0", "/%"]) {
    const response = await request.get(target);
    expect(response.status(), target).toBeGreaterThanOrEqual(400);
    expect(response.status(), target).toBeLessThan(500);
    expect(response.headers()["x-frame-options"], target).toBe("DENY");
  }
  expect((await request.get("/login")).status()).toBe(200);
});
