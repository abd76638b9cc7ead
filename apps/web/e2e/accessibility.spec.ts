import { expect, test } from "@playwright/test";
import { seriousViolations, signIn } from "./support";

/** Every console page, by address and the heading that says it has loaded. */
const PAGES: { path: string; heading: string }[] = [
  { path: "/project", heading: "Overview" },
  { path: "/project/instances", heading: "Instances" },
  { path: "/project/instances/launch", heading: "Launch instance" },
  { path: "/project/images", heading: "Images" },
  { path: "/project/volumes", heading: "Volumes" },
  { path: "/project/networks", heading: "Networks" },
  { path: "/project/routers", heading: "Routers" },
  { path: "/project/floating-ips", heading: "Floating IPs" },
  { path: "/project/security-groups", heading: "Security groups" },
  { path: "/project/key-pairs", heading: "Key pairs" },
  { path: "/project/server-groups", heading: "Server groups" },
  { path: "/account", heading: "Account" },
  { path: "/admin/hosts", heading: "Host inventory" },
  { path: "/admin/agents", heading: "Compute agents" },
  { path: "/admin/audit", heading: "Audit trail" },
  { path: "/admin/projects", heading: "Projects" },
  { path: "/admin/users", heading: "Users" },
  { path: "/no-such-page", heading: "Page not found" },
];

test("axe finds no serious or critical violation on any console page, nor on the sign-in page", async ({ page }) => {
  // One axe run per console page (20 of them): more than the default minute on a busy machine.
  test.slow();
  const found: Record<string, string[]> = {};
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in to Nimbus" })).toBeVisible();
  found["/login"] = await seriousViolations(page);

  await signIn(page);
  for (const { path, heading } of PAGES) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, exact: true }).first()).toBeVisible();
    // Let the page's queries settle (loaders gone) before judging it.
    await expect(page.getByLabel(/^Loading/)).toHaveCount(0);
    found[path] = await seriousViolations(page);
  }
  // Every page's findings at once, so one run shows them all.
  expect(Object.fromEntries(Object.entries(found).filter(([, violations]) => violations.length > 0))).toEqual({});
});

test("a skip link is the first Tab stop and lands on the main content; dialogs' close buttons have names", async ({ page }) => {
  await signIn(page);
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to main content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();

  await page.goto("/project/images");
  await page.getByRole("button", { name: "Create image" }).click();
  const dialog = page.getByRole("dialog", { name: "Create image" });
  await dialog.getByRole("button", { name: "Close dialog" }).click();
  await expect(dialog).toBeHidden();
});

test("signing in returns to the page that was asked for, and never to another site", async ({ page, baseURL }) => {
  await page.goto("/project/key-pairs");
  await expect(page.getByRole("heading", { name: "Sign in to Nimbus" })).toBeVisible();
  await expect(page).toHaveURL(/\/login\?next=%2Fproject%2Fkey-pairs$/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("e2e-admin-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Key pairs" })).toBeVisible();
  await expect(page).toHaveURL(/\/project\/key-pairs$/);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/login?next=//evil.example/steal");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("e2e-admin-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
  expect(new URL(page.url()).origin).toBe(new URL(baseURL!).origin);
  await expect(page).toHaveURL(/\/project\/instances$/);
});

test("an unknown address gets the console's 404 page with the way back", async ({ page }) => {
  await page.goto("/project/no-such-thing");
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Go to instances" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Nimbus" })).toBeVisible();
});
