import { expect, test, type Locator, type Page } from "@playwright/test";
import { E2E } from "../playwright.config";
import { openHostInventory, openWizardAtFlavor, signIn, trpc } from "./support";

/**
 * The operator's scheduling controls, end to end with the one real agent: a disabled host is
 * refused (preview and launch say why), and hard anti-affinity keeps a group's members apart.
 * Each test leaves the cloud as it found it: host enabled, no instances, no server groups.
 */

/** Picks `option` in the Mantine Select labelled `label`. */
async function choose(page: Page, label: string | RegExp, option: RegExp) {
  await page.getByRole("combobox", { name: label }).click();
  await page.getByRole("option", { name: option }).click();
}

/** Mantine's switch input is visually hidden: a user clicks its track, the label around it. */
async function toggle(page: Page, control: Locator) {
  await page.locator("label", { has: control }).click();
}

/** Walks the wizard to its last step (Placement) with the blank-1g image, m1.tiny and shared-net. */
async function fillWizardUpToPlacement(page: Page, { name, count }: { name: string; count?: number }) {
  await openWizardAtFlavor(page, { name, count });
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  // The optional steps in between (security groups, key pair, configuration, volumes) keep their defaults.
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("checkbox", { name: "default" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("combobox", { name: "Key pair" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("textbox", { name: "User data" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("combobox", { name: "Availability zone" })).toBeVisible();
}

/** The progress view's alert saying why the instance is in ERROR. */
function faultAlert(page: Page) {
  return page.getByRole("alert").filter({ hasText: "Fault" });
}

// A safety net only: when a test fails half-way, put the cloud back so the next test starts clean.
test.afterEach(async ({ page }) => {
  const request = page.request;
  const instances = ((await trpc(request, "instances.list")) ?? []) as { id: string }[];
  for (const { id } of instances) await trpc(request, "instances.delete", { id });
  await expect.poll(async () => (((await trpc(request, "instances.list")) ?? []) as unknown[]).length).toBe(0);
  const groups = ((await trpc(request, "serverGroups.list")) ?? []) as { id: string }[];
  for (const { id } of groups) await trpc(request, "serverGroups.delete", { id });
  const hosts = ((await trpc(request, "hosts.list")) ?? []) as { id: string; enabled: boolean }[];
  for (const host of hosts.filter((h) => !h.enabled)) await trpc(request, "hosts.update", { id: host.id, enabled: true });
});

test("a disabled host is refused: the preview and the failed build say so, in plain words", async ({ page }) => {
  await signIn(page);

  // Disable the host with a reason, through the switch and its dialog.
  let row = await openHostInventory(page);
  const enabled = page.getByRole("switch", { name: `Enabled on ${E2E.hostname}` });
  await expect(enabled).toBeChecked();
  await toggle(page, enabled);
  const dialog = page.getByRole("dialog", { name: `Disable ${E2E.hostname}` });
  await dialog.getByRole("button", { name: "Disable host" }).click();
  await expect(dialog.getByText("Say why the host is disabled.")).toBeVisible();
  await dialog.getByLabel("Reason for disabling").fill("e2e maintenance");
  await dialog.getByRole("button", { name: "Disable host" }).click();
  await expect(dialog).toBeHidden();
  await expect(enabled).not.toBeChecked();
  await expect(row).toContainText("e2e maintenance");

  // The placement preview names the filter that refuses it.
  await page.getByRole("tab", { name: "Placement preview" }).click();
  await expect(page.getByRole("heading", { name: "Placement preview" })).toBeVisible();
  await choose(page, "Flavor", /^m1\.tiny/);
  await page.getByRole("button", { name: "Preview placement" }).click();
  await expect(page.getByText("No host can take m1.tiny")).toBeVisible();
  await expect(page.getByText("1 host considered: 1 disabled.")).toBeVisible();
  const verdict = page.getByRole("table", { name: "Hosts considered" }).getByRole("row", { name: new RegExp(E2E.hostname) });
  await expect(verdict).toContainText("ComputeFilter");
  await expect(verdict).toContainText("disabled");
  // ...with the operator's reason, as the inventory shows it.
  await expect(verdict).toContainText("disabled: e2e maintenance");

  // The wizard marks every flavor no host could take now, with the scheduler's count-only reason.
  await openWizardAtFlavor(page, { name: "e2e-marked" });
  const tiny = page.getByRole("row", { name: /m1\.tiny/ });
  await expect(tiny).toContainText("No host can take it right now: 1 host considered: 1 disabled.");
  await expect(tiny).not.toContainText(E2E.hostname);
  await expect(page.getByRole("radio", { name: "Select flavor m1.tiny" })).toHaveAccessibleDescription(/No host can take it right now/);

  // A launch through the wizard ends in ERROR with the scheduler's reason as its fault.
  await fillWizardUpToPlacement(page, { name: "e2e-refused" });
  await page.getByRole("button", { name: "Launch instance" }).click();
  await expect(page.getByRole("heading", { name: "e2e-refused" })).toBeVisible();
  await expect(page.getByText("ERROR", { exact: true }).first()).toBeVisible();
  await expect(faultAlert(page)).toContainText("No valid host was found. 1 host considered: 1 disabled.");

  await page.getByRole("button", { name: "Delete instance" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No instances yet.")).toBeVisible();

  // Enabling again needs no reason, and clears the one shown.
  row = await openHostInventory(page);
  await expect(row).toContainText("e2e maintenance");
  await toggle(page, enabled);
  await expect(enabled).toBeChecked();
  await expect(row).not.toContainText("e2e maintenance");

  // Both are in the audit trail: who took the host out of scheduling, why, and who put it back.
  await page.getByRole("link", { name: "Audit trail" }).click();
  const events = page.getByRole("table", { name: "Audit events" });
  await page.getByRole("combobox", { name: "Action", exact: true }).click();
  await page.getByRole("option", { name: "Disable host (host.disable)" }).click();
  await expect(events.getByRole("row").nth(1)).toContainText(`host ${E2E.hostname}`);
  await expect(events.getByRole("row").nth(1)).toContainText("reason=e2e maintenance");
  await page.getByRole("combobox", { name: "Action", exact: true }).click();
  await page.getByRole("option", { name: "Enable host (host.enable)" }).click();
  await expect(events.getByRole("row").nth(1)).toContainText("admin");
  await expect(events.getByRole("row").nth(1)).toContainText(`host ${E2E.hostname}`);
});

test("hard anti-affinity keeps a group's members apart: with one host, the second member fails", async ({ page }) => {
  await signIn(page);

  await page.getByRole("link", { name: "Server groups" }).click();
  await expect(page.getByRole("heading", { name: "Server groups" })).toBeVisible();
  await page.getByLabel("Group name").fill("e2e-anti");
  await choose(page, "Policy", /^Affinity$/);
  await expect(page.getByRole("textbox", { name: "Max servers per host" })).toBeDisabled();
  await choose(page, "Policy", /^Anti-affinity$/);
  await expect(page.getByRole("textbox", { name: "Max servers per host" })).toBeEnabled();
  await page.getByRole("button", { name: "Create server group" }).click();
  // The group's own row starts with its name (action-log rows elsewhere may mention it too).
  const groupRow = page.getByRole("row", { name: /^e2e-anti\b/ });
  await expect(groupRow).toContainText("Anti-affinity");
  await expect(groupRow).toContainText("None");

  await fillWizardUpToPlacement(page, { name: "e2e-aa", count: 2 });
  await choose(page, "Server group", /^e2e-anti \(anti-affinity\)$/);
  await page.getByRole("button", { name: "Launch instance" }).click();
  await expect(page.getByRole("heading", { name: /^e2e-aa-\d$/ })).toBeVisible();

  // One member runs; the other finds no host without a member of the group.
  await page.getByRole("link", { name: "Instances", exact: true }).click();
  const members = page.getByRole("row", { name: /e2e-aa-\d/ });
  await expect(members).toHaveCount(2);
  await expect(members.filter({ hasText: /ACTIVE/ })).toHaveCount(1);
  await expect(members.filter({ hasText: /ERROR/ })).toHaveCount(1);
  await members.filter({ hasText: /ERROR/ }).getByRole("link").click();
  await expect(faultAlert(page)).toContainText("No valid host was found. 1 host considered: 1 already had 1 member of group e2e-anti.");

  await page.getByRole("link", { name: "Server groups" }).click();
  await expect(page.getByRole("heading", { name: "Server groups" })).toBeVisible();
  await expect(groupRow).toContainText("e2e-aa-1");
  await expect(groupRow).toContainText("e2e-aa-2");

  // Clean up: both instances, then the group.
  await page.getByRole("link", { name: "Instances", exact: true }).click();
  for (const name of ["e2e-aa-1", "e2e-aa-2"]) {
    await page.getByRole("button", { name: `Delete ${name}` }).click();
    await page
      .getByRole("dialog", { name: `Delete ${name}?` })
      .getByRole("button", { name: "Confirm delete" })
      .click();
  }
  await expect(page.getByText("No instances yet.")).toBeVisible();

  await page.getByRole("link", { name: "Server groups" }).click();
  await expect(groupRow).toContainText("None");
  await page.getByRole("button", { name: "Delete server group e2e-anti" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No server groups yet.")).toBeVisible();
  // A message says the delete went through.
  await expect(page.getByText("Server group e2e-anti deleted.")).toBeVisible();
});
