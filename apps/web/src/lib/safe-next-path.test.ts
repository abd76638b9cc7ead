import { describe, expect, it } from "vitest";
import { DEFAULT_AFTER_SIGN_IN, loginPathFor, safeNextPath } from "./safe-next-path";

describe("safeNextPath", () => {
  it("returns to a page of the console, with its query", () => {
    expect(safeNextPath("/project/volumes")).toBe("/project/volumes");
    expect(safeNextPath("/admin/audit?action=host.disable")).toBe("/admin/audit?action=host.disable");
  });

  it("never leaves the console: other sites, schemes and tricks fall back to the instance list", () => {
    for (const next of [
      null,
      "",
      "https://evil.example/",
      "//evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "javascript:alert(1)",
      "project/volumes",
      "/login?next=/x",
      "/api/trpc/auth.signOut",
    ]) {
      expect(safeNextPath(next)).toBe(DEFAULT_AFTER_SIGN_IN);
    }
  });

  it("makes the sign-in address that comes back", () => {
    expect(loginPathFor("/project/key-pairs")).toBe("/login?next=%2Fproject%2Fkey-pairs");
    expect(loginPathFor(DEFAULT_AFTER_SIGN_IN)).toBe("/login");
  });
});
