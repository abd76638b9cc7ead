import { expect, test } from "@playwright/test";
import { signIn, trpc } from "./support";

/**
 * Resize with confirm from the console: the row menu's Resize opens the dialog, whose flavors
 * say what they change and what the quota takes (a smaller disk disabled with why); the list
 * shows RESIZE and then VERIFY_RESIZE live; the instance page offers Confirm resize and Revert
 * resize only then, and the confirm brings it back to ACTIVE on its new flavor.
 */
test("resize an instance from the row menu and confirm it on its page", async ({ page }) => {
  await signIn(page);
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: "grow-1",
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  const id = launched.instanceIds[0]!;

  try {
    const row = page.getByRole("row", { name: /grow-1/ });
    await expect(row).toContainText("ACTIVE");

    // Not waiting for a confirm: the menu says why Confirm resize is off.
    await row.getByRole("button", { name: "Actions for grow-1" }).click();
    await expect(page.getByRole("menuitem", { name: /^Confirm resize/ })).toHaveAccessibleDescription(
      "Instance grow-1 is not waiting for a resize or migration to be confirmed or reverted (ACTIVE): nothing to confirm.",
    );
    await page.getByRole("menuitem", { name: "Resize", exact: true }).click();

    const dialog = page.getByRole("dialog", { name: "Resize grow-1" });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole("radio", { name: /^m1\.tiny/ })).toBeDisabled();
    const small = dialog.getByRole("radio", { name: /^m1\.small/ });
    await expect(small).toHaveAccessibleDescription("no change in vCPUs / +1.5 GB RAM. Quota: +1.5 GB RAM from now on.");
    await expect(dialog.getByRole("radio", { name: /^m1\.medium/ })).toHaveAccessibleDescription(
      "+1 vCPU / +3.5 GB RAM. Quota: +1 vCPU, +3.5 GB RAM from now on.",
    );
    await expect(dialog.getByRole("button", { name: "Resize" })).toBeDisabled();
    await small.check();
    await dialog.getByRole("button", { name: "Resize" }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText("VERIFY_RESIZE");
    await expect(row).toContainText("m1.small");

    await row.getByRole("link", { name: "grow-1" }).click();
    const actions = page.getByRole("group", { name: "Actions for grow-1" });
    await expect(actions.getByRole("button", { name: "Stop", exact: true })).toHaveAccessibleDescription(
      "Instance grow-1 is waiting for its resize or migration to be confirmed or reverted (VERIFY_RESIZE): confirm or revert it first.",
    );
    await expect(actions.getByRole("button", { name: "Revert resize" })).toBeEnabled();
    await actions.getByRole("button", { name: "Confirm resize" }).click();
    await expect(page.getByRole("heading", { name: "grow-1" }).locator("..")).toContainText("ACTIVE");
    await expect(actions.getByRole("button", { name: "Confirm resize" })).toBeDisabled();
    await expect(page.getByText("Confirm resize", { exact: true }).first()).toBeVisible();
  } finally {
    await trpc(page.request, "instances.delete", { id });
  }
});
