import { expect, test } from "@playwright/test";
import { signIn, trpc } from "./support";

/**
 * Horizon's "Create Snapshot" from the row actions menu: the dialog names the image (a labelled
 * field, a name is required), the instance shows the snapshot's task live and is ACTIVE again,
 * and the image appears on the Images page and becomes Active; it is then offered at launch.
 */
test("create a snapshot from the row actions menu and see the image become active on the Images page", async ({ page }) => {
  await signIn(page);
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: "snap-ui-1",
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  const id = launched.instanceIds[0]!;
  let imageId: string | undefined;

  try {
    const row = page.getByRole("row", { name: /snap-ui-1/ });
    await expect(row).toContainText("ACTIVE");

    await row.getByRole("button", { name: "Actions for snap-ui-1" }).click();
    await page.getByRole("menuitem", { name: "Create snapshot" }).click();
    const dialog = page.getByRole("dialog", { name: "Create snapshot of snap-ui-1" });
    await expect(dialog).toBeVisible();
    // A name is required: the browser keeps the dialog open until one is given.
    await dialog.getByRole("button", { name: "Create snapshot" }).click();
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Snapshot name").fill("snap-ui-1-image");
    await dialog.getByRole("button", { name: "Create snapshot" }).click();
    await expect(dialog).toBeHidden();
    await expect(row).toContainText("ACTIVE");

    await page.getByRole("link", { name: "Images", exact: true }).click();
    await expect(page.getByRole("heading", { name: "Images" })).toBeVisible();
    const imageRow = page.getByRole("row", { name: /snap-ui-1-image/ });
    await expect(imageRow).toContainText("Active");
    const listed = (await trpc(page.request, "images.list")) as { id: string; name: string; properties: Record<string, string> }[];
    const image = listed.find((i) => i.name === "snap-ui-1-image")!;
    imageId = image.id;
    expect(image.properties.image_type).toBe("snapshot");
    expect(image.properties.instance_uuid).toBe(id);

    // The snapshot is offered when launching.
    const catalog = (await trpc(page.request, "catalog.images")) as { id: string }[];
    expect(catalog.map((i) => i.id)).toContain(imageId);

    // The instance page has the action among its buttons.
    await page.goto(`/project/instances/${id}`);
    const actions = page.getByRole("group", { name: "Actions for snap-ui-1" });
    await expect(actions.getByRole("button", { name: "Create snapshot" })).toBeEnabled();
  } finally {
    await trpc(page.request, "instances.delete", { id });
    if (imageId) await trpc(page.request, "images.delete", { id: imageId });
  }
});
