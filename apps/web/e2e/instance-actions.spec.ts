import { expect, test } from "@playwright/test";
import { signIn, trpc } from "./support";

/**
 * Stop and start from Horizon's row actions menu: each action disabled with its reason when the
 * state does not allow it, stop confirmed first, the task and the new status shown live in the
 * list; then the instance page's buttons.
 */
test("stop and start an instance from the row actions menu, and see the page's buttons follow", async ({ page }) => {
  await signIn(page);
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: "power-1",
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  const id = launched.instanceIds[0]!;

  try {
    const row = page.getByRole("row", { name: /power-1/ });
    await expect(row).toContainText("ACTIVE");

    // Start is not possible while it runs, and the menu says why.
    await row.getByRole("button", { name: "Actions for power-1" }).click();
    const start = page.getByRole("menuitem", { name: /^Start/ });
    await expect(start).toBeDisabled();
    await expect(start).toHaveAccessibleDescription("Instance power-1 is already running (ACTIVE): nothing to start.");
    await page.getByRole("menuitem", { name: "Stop" }).click();

    const dialog = page.getByRole("dialog", { name: "Stop power-1?" });
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Confirm stop" }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText("SHUTOFF");
    await expect(row).toContainText("Shutdown");

    await row.getByRole("button", { name: "Actions for power-1" }).click();
    await expect(page.getByRole("menuitem", { name: /^Stop/ })).toHaveAccessibleDescription(
      "Instance power-1 is already stopped (SHUTOFF): nothing to stop.",
    );
    await page.getByRole("menuitem", { name: "Start" }).click();
    await expect(row).toContainText("ACTIVE");

    // The instance page: its buttons follow the same rules, and the action log lists both.
    await row.getByRole("link", { name: "power-1" }).click();
    const actions = page.getByRole("group", { name: "Actions for power-1" });
    await expect(actions.getByRole("button", { name: "Stop", exact: true })).toBeEnabled();
    await expect(actions.getByRole("button", { name: "Start", exact: true })).toBeDisabled();
    await expect(actions.getByRole("button", { name: "Start", exact: true })).toHaveAccessibleDescription(/already running/);
    await expect(actions.getByRole("button", { name: "Unpause" })).toHaveAccessibleDescription(
      "Instance power-1 is not paused (ACTIVE): nothing to unpause.",
    );
    await actions.getByRole("button", { name: "Pause", exact: true }).click();
    await expect(page.getByRole("heading", { name: "power-1" }).locator("..")).toContainText("PAUSED");
    await expect(actions.getByRole("button", { name: "Unpause" })).toBeEnabled();
  } finally {
    await trpc(page.request, "instances.delete", { id });
  }
});
