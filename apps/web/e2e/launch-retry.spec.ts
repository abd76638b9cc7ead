import { expect, test } from "@playwright/test";
import { openWizardAtFlavor, signIn } from "./support";

/**
 * A launch whose answer is lost on the way back (the server created the instance, the browser
 * saw a network error) is retried with the same idempotency key, so the retry creates nothing:
 * the server answers with the instance it already made.
 */

test("a launch retried after its answer was lost creates the instance once", async ({ page }) => {
  await signIn(page);
  await openWizardAtFlavor(page, { name: "e2e-retry" });
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();

  // The first launch reaches the server, but its answer never reaches the page.
  const keys: unknown[] = [];
  let answers = 0;
  await page.route("**/api/trpc/instances.launch**", async (route) => {
    const batch = route.request().postDataJSON() as Record<string, { json: { idempotencyKey?: unknown } }>;
    keys.push(batch["0"]?.json.idempotencyKey);
    if (answers++ === 0) {
      await route.fetch();
      await route.abort("connectionreset");
      return;
    }
    await route.continue();
  });
  await page.getByRole("button", { name: "Launch instance" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Launch failed" })).toContainText("Could not reach the Nimbus server");

  // The same launch again: the same key, and the server hands back the instance it made.
  await page.getByRole("button", { name: "Launch instance" }).click();
  await expect(page.getByRole("heading", { name: "e2e-retry" })).toBeVisible();
  expect(keys).toHaveLength(2);
  expect(keys[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(keys[1]).toBe(keys[0]);

  await page.getByRole("link", { name: "Instances", exact: true }).click();
  await expect(page.getByRole("row", { name: /e2e-retry/ })).toHaveCount(1);

  // Clean up.
  await page.getByRole("button", { name: "Delete e2e-retry" }).click();
  await page.getByRole("dialog", { name: "Delete e2e-retry?" }).getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No instances yet.")).toBeVisible();
});
