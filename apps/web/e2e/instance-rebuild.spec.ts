import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { signIn, trpc } from "./support";

/**
 * Rebuild from the console: the row menu's "Rebuild instance" opens the dialog (a labelled image
 * select with the instance's own image preselected, an optional name, key pair and user data);
 * the instance page shows it back ACTIVE with the new image's name and its new name, on the
 * same address.
 */
test("rebuild an instance from the row menu with another image, and see it ACTIVE on it on its page", async ({ page, baseURL }) => {
  await signIn(page);
  // A second disk image, uploaded through the image API (a blank 1 GiB qcow2 made here).
  const dir = mkdtempSync(path.join(tmpdir(), "nimbus-e2e-rebuild-"));
  const file = path.join(dir, "blank.qcow2");
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", file, "1G"]);
  const image = (await trpc(page.request, "images.create", { name: "rebuild-blank", kind: "disk" })) as { id: string };
  const upload = await page.request.put(`/api/images/${image.id}/file`, {
    headers: { origin: baseURL!, "content-type": "application/octet-stream" },
    data: readFileSync(file),
  });
  expect(upload.ok(), await upload.text()).toBe(true);
  rmSync(dir, { recursive: true, force: true });

  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((p) => trpc(page.request, p)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: "reb-1",
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  const id = launched.instanceIds[0]!;

  try {
    await page.goto("/project/instances");
    const row = page.getByRole("row", { name: /reb-1/ });
    await expect(row).toContainText("ACTIVE");
    const address = (await row.textContent())?.match(/10\.0\.0\.\d+/)?.[0];

    await row.getByRole("button", { name: "Actions for reb-1" }).click();
    await page.getByRole("menuitem", { name: "Rebuild instance", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Rebuild reb-1" });
    await expect(dialog).toBeVisible();
    const select = dialog.getByLabel("Image");
    await expect(select.locator("option:checked")).toHaveText("blank-1g (current)");
    await select.selectOption({ label: "rebuild-blank" });
    await dialog.getByLabel("Name").fill("reb-2");
    await expect(dialog.getByLabel("Key pair")).toBeVisible();
    await expect(dialog.getByLabel("User data")).toBeVisible();
    await dialog.getByRole("button", { name: "Rebuild" }).click();
    await expect(dialog).toBeHidden();

    const renamed = page.getByRole("row", { name: /reb-2/ });
    await expect(renamed).toContainText("ACTIVE");
    await renamed.getByRole("link", { name: "reb-2" }).click();
    await expect(page.getByRole("heading", { name: "reb-2" }).locator("..")).toContainText("ACTIVE");
    await expect(page.getByText("rebuild-blank", { exact: true })).toBeVisible();
    if (address) await expect(page.getByText(address).first()).toBeVisible();

    // A paused instance cannot be rebuilt: the page's button says why.
    await trpc(page.request, "instances.pause", { id });
    const actions = page.getByRole("group", { name: "Actions for reb-2" });
    await expect(actions.getByRole("button", { name: "Rebuild instance" })).toHaveAccessibleDescription(
      "Instance reb-2 is PAUSED: only an ACTIVE, SHUTOFF or ERROR instance can be rebuilt.",
    );
  } finally {
    await trpc(page.request, "instances.delete", { id });
    await trpc(page.request, "images.delete", { id: image.id });
  }
});
