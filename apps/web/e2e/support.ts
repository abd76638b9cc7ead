import AxeBuilder from "@axe-core/playwright";
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { E2E } from "../playwright.config";

/** The steps the browser specs share: signing in and out, the host's row, the launch wizard, the API. */

/** Signs in through the login page (the administrator unless told otherwise) and waits for the instance list. */
export async function signIn(page: Page, name = "admin", password = E2E.adminPassword) {
  await page.goto("/login");
  await page.getByLabel("User name").fill(name);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
}

export async function signOut(page: Page) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in to Nimbus" })).toBeVisible();
}

/** Opens the host inventory and returns the e2e host's row, once it shows the host Up. */
export async function openHostInventory(page: Page) {
  await page.getByRole("link", { name: "Host inventory" }).click();
  await expect(page.getByRole("heading", { name: "Host inventory" })).toBeVisible();
  const row = page.getByRole("row", { name: new RegExp(E2E.hostname) });
  await expect(row).toContainText("Up");
  return row;
}

/** Walks the launch wizard from the instance list to the Flavor step with the blank-1g image; `count` only when given. */
export async function openWizardAtFlavor(page: Page, { name, count }: { name: string; count?: number }) {
  await page.getByRole("link", { name: "Instances", exact: true }).click();
  await page.getByRole("button", { name: "Launch instance" }).click();
  await page.getByLabel("Instance name").fill(name);
  if (count !== undefined) await page.getByRole("textbox", { name: /^Count/ }).fill(String(count));
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select image blank-1g/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
}

/**
 * GET (no `input`) or POST one tRPC procedure (superjson envelope) and return its result, or
 * undefined on an error. The session is the request context's; `headers` for a bearer token.
 */
export async function trpc(request: APIRequestContext, path: string, input?: unknown, headers?: Record<string, string>): Promise<unknown> {
  const response =
    input === undefined
      ? await request.get(`/api/trpc/${path}`, { headers })
      : await request.post(`/api/trpc/${path}`, { data: { json: input }, headers });
  const body = (await response.json()) as { result?: { data?: { json?: unknown } } };
  return body.result?.data?.json;
}

/** axe-core's serious and critical violations on the page as it is, one line each (rule: targets). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}
