import { expect, test } from "@playwright/test";
import { E2E } from "../playwright.config";
import { openHostInventory, signIn, trpc } from "./support";

/** At 1,400 px, a common laptop width, nothing a user needs is behind a sideways scroll or cut short. */
test.use({ viewport: { width: 1400, height: 800 } });

test("the host inventory shows its Edit button without scrolling sideways, and usage as a share of capacity", async ({ page }) => {
  await signIn(page);
  await openHostInventory(page);
  await expect(page.getByRole("columnheader", { name: "Actions" })).toBeInViewport();
  await expect(page.getByRole("button", { name: `Edit ${E2E.hostname}` })).toBeInViewport();
  // The charts name each host's use against its own capacity.
  const vcpus = page.getByRole("region", { name: "vCPUs used, as a share of each host's capacity" });
  await expect(vcpus).toContainText(new RegExp(`${E2E.hostname}: 0 of \\d+ vCPUs used`));
});

test("the image list shows whole badges and keeps a size on one line, even when a long name squeezes its columns", async ({ page }) => {
  await signIn(page);
  // A name with nowhere to break takes the width the other columns would have had.
  const long = `e2e-${"an-image-name-with-nowhere-to-break-".repeat(2)}end`;
  const created = (await trpc(page.request, "images.create", { name: long })) as { id: string };
  await page.getByRole("link", { name: "Images" }).click();

  const queued = page.getByRole("row", { name: new RegExp(`^${long}`) });
  const status = queued.getByRole("cell").nth(1).getByText(/\w+/);
  await expect(status).toBeVisible();
  // A badge squeezed by its column ends in "…": its text is wider than the badge.
  expect(await status.evaluate((el) => el.scrollWidth <= el.clientWidth)).toBe(true);

  const size = page
    .getByRole("row", { name: /^blank-1g/ })
    .getByRole("cell")
    .nth(3);
  await expect(size).toHaveText(/^\d+(\.\d)?\s[KMGT]?B/);
  // The size's own line (before "virtual …") is one line box, not "1.0 / GB".
  const lines = await size.evaluate((cell) => {
    const range = document.createRange();
    range.selectNodeContents(cell.firstChild!);
    return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
  });
  expect(lines).toBe(1);
  await trpc(page.request, "images.delete", { id: created.id });
});

test("the create-image dialog fits the screen: a labelled file input, and its buttons in view", async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 700 });
  await signIn(page);
  await page.getByRole("link", { name: "Images" }).click();
  await page.getByRole("button", { name: "Create image" }).click();
  const dialog = page.getByRole("dialog", { name: "Create image" });
  await expect(dialog.getByRole("button", { name: "Image file" })).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Create image" })).toBeInViewport();
  await expect(dialog.getByRole("button", { name: "Cancel" })).toBeInViewport();
  await dialog.getByRole("button", { name: "Create image" }).click();
  await expect(dialog.getByText("Choose the image file to upload.")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
});

test("the placement preview shows the chosen flavor whole, and no stale message beside a result", async ({ page }) => {
  await signIn(page);
  await openHostInventory(page);
  await page.getByRole("tab", { name: "Placement preview" }).click();
  const flavor = page.getByRole("combobox", { name: "Flavor" });
  await flavor.click();
  await page.getByRole("option", { name: /^m1\.tiny/ }).click();
  await expect(flavor).toHaveValue("m1.tiny");
  expect(await flavor.evaluate((el) => (el as HTMLInputElement).scrollWidth <= (el as HTMLInputElement).clientWidth)).toBe(true);
  await expect(page.getByText("1 vCPU, 512 MB RAM, 1 GB disk")).toBeVisible();
  await page.getByRole("button", { name: "Preview placement" }).click();
  await expect(page.getByText(`m1.tiny would go to ${E2E.hostname}`)).toBeVisible();

  // Away to another tab and back: the answer and the field agree, with no "Choose a flavor." beside it.
  await page.getByRole("tab", { name: "Hosts" }).click();
  await page.getByRole("tab", { name: "Placement preview" }).click();
  await page.getByRole("button", { name: "Preview placement" }).click();
  await expect(page.getByText(`m1.tiny would go to ${E2E.hostname}`)).toBeVisible();
  await expect(page.getByText("Choose a flavor.")).toHaveCount(0);
});
