import { expect, test } from "@playwright/test";
import { signIn, trpc } from "./support";

/**
 * The launch wizard as a new user meets it: a count the quota cannot take is refused at the
 * Count field, the quota panel stays readable (share of each limit, plain English, one unit per
 * row), and the keyboard moves through the steps with Enter, focus landing on each step's heading.
 */

test("a count above the free instances is refused at the Count field, and the quota panel reads sanely", async ({ page }) => {
  await signIn(page);
  const usage = (await trpc(page.request, "quota.usage")) as { instances: { limit: number; used: number } };
  const free = usage.instances.limit - usage.instances.used;

  await page.getByRole("button", { name: "Launch instance" }).click();
  const panel = page.getByRole("region", { name: "Quota impact" });
  const figures = page.getByRole("table", { name: "Quota figures" });
  await page.getByLabel("Instance name").fill("e2e-count");

  // Count 0 launches nothing: the panel adds nothing.
  const count = page.getByRole("textbox", { name: /^Count/ });
  await count.fill("0");
  await expect(figures.getByRole("row", { name: /^Instances/ })).toContainText("+0");
  await expect(figures.getByRole("row", { name: /^Instances/ })).not.toContainText("+1");

  // More than is free: said at the field, and the wizard stays on Details.
  await count.fill(String(free + 1));
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText(`Only ${free} instances are free in your quota.`)).toBeVisible();
  await expect(page.getByRole("heading", { name: "Details" })).toBeVisible();
  await expect(panel.getByRole("status")).toContainText(`Needs ${free + 1} instances, but only ${free} instances are free in your instance quota.`);

  // A count far over the limit keeps the axis at the share of the limit: no 10025 % tick.
  await count.fill("1000");
  await expect(panel).toContainText("100%");
  await expect(panel).not.toContainText(/\d{4,}%/);
  await expect(panel).toContainText("Over quota");
  // No unnamed, focusable chart.
  await expect(page.locator('[role="application"]')).toHaveCount(0);

  await count.fill("1");
  await expect(page.getByText(`Only ${free} instances are free in your quota.`)).toBeHidden();
  await expect(panel).not.toContainText("Over quota");
});

test("Enter in a field goes to the next step, and focus lands on the new step's heading", async ({ page }) => {
  await signIn(page);
  await page.getByRole("button", { name: "Launch instance" }).click();
  await page.getByLabel("Instance name").fill("e2e-keys");
  await page.getByLabel("Instance name").press("Enter");
  await expect(page.getByRole("heading", { name: "Source" })).toBeFocused();
  await page.getByRole("radio", { name: /Select image blank-1g/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("heading", { name: "Flavor" })).toBeFocused();
  // Back goes to the step before, its heading focused too.
  await page.getByRole("button", { name: "Back" }).click();
  await expect(page.getByRole("heading", { name: "Source" })).toBeFocused();

  // On through the steps; Enter in a field of the last step launches.
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  for (const step of ["Security groups", "Key pair", "Configuration", "Volumes", "Placement"]) {
    await page.getByRole("button", { name: "Next" }).click();
    await expect(page.getByRole("heading", { name: step })).toBeFocused();
  }
  await page.getByRole("textbox", { name: "Force host (admins)" }).press("Enter");
  await expect(page.getByRole("heading", { name: "e2e-keys" })).toBeVisible();
  await expect(page.getByText("ACTIVE", { exact: true }).first()).toBeVisible();
  await trpc(page.request, "instances.delete", { id: page.url().split("/").pop() });
  await expect.poll(async () => ((await trpc(page.request, "instances.list")) as unknown[]).length).toBe(0);
});
