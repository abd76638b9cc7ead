import { type NextRequest, NextResponse } from "next/server";
import { loadEnv } from "@/server/env";
import { pageContentSecurityPolicy } from "@/server/security-headers";

/** `next dev` (NODE_ENV not production, as server/main.ts decides) needs eval for React's overlays. */
const dev = loadEnv().NODE_ENV !== "production";

/**
 * Next.js's proxy (the file convention that replaced middleware), run before every page: a
 * fresh nonce per page, in the page's Content-Security-Policy. Next.js reads the nonce from the
 * request's CSP header and stamps its own scripts with it; the root layout reads `x-nonce` for
 * Mantine's colour-scheme script. The other security headers come from the web server itself
 * (server/security-headers.ts), on every answer.
 */
export function proxy(request: NextRequest): NextResponse {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString("base64");
  const policy = pageContentSecurityPolicy(nonce, { dev });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  matcher: [
    {
      // Not the API (the web server answers it before Next.js), nor static files and prefetches, which are no documents.
      source: "/((?!api/|_next/static|_next/image|favicon.ico|icon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
