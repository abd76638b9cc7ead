/** Where signing in returns to when nothing (or nothing safe) was asked for. */
export const DEFAULT_AFTER_SIGN_IN = "/project/instances";

/**
 * The page to return to after signing in, from the `next` query parameter: only a path on this
 * console ("/project/volumes?x=1"), never another site ("//evil.example", "https://…",
 * "/\\evil.example") nor the sign-in page itself, so the parameter cannot be an open redirect.
 */
export function safeNextPath(next: string | null | undefined): string {
  if (!next?.startsWith("/") || next.startsWith("//") || next.includes("\\")) return DEFAULT_AFTER_SIGN_IN;
  // Control characters (a tab or newline inside "//") are dropped by URL parsers: refuse them.
  if ([...next].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return DEFAULT_AFTER_SIGN_IN;
  const base = "http://nimbus.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return DEFAULT_AFTER_SIGN_IN;
  }
  if (url.origin !== base || url.pathname === "/login" || url.pathname.startsWith("/api/")) return DEFAULT_AFTER_SIGN_IN;
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page's address that returns to `path` afterwards. */
export function loginPathFor(path: string): string {
  const next = safeNextPath(path);
  return next === DEFAULT_AFTER_SIGN_IN ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}
