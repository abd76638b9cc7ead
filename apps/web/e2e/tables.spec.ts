import { expect, test, type Page } from "@playwright/test";
import { openWizardAtFlavor, signIn } from "./support";

/** The flavors in the order the Flavor step lists them, read from their radios' names. */
async function flavorOrder(page: Page): Promise<string[]> {
  const radios = page.getByRole("radio", { name: /^Select flavor / });
  const labels = await radios.evaluateAll((elements) => elements.map((element) => element.getAttribute("aria-label") ?? ""));
  return labels.map((label) => label.replace("Select flavor ", ""));
}

test("a column header sorts the rows: ascending, then descending, then back to the order the server gave", async ({ page }) => {
  await signIn(page);
  await openWizardAtFlavor(page, { name: "e2e-sorting" });
  const name = page.getByRole("columnheader", { name: "Name", exact: true });
  const ram = page.getByRole("columnheader", { name: "RAM", exact: true });

  // The catalog lists flavors smallest first.
  const served = ["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"];
  await expect.poll(() => flavorOrder(page)).toEqual(served);
  await expect(name).not.toHaveAttribute("aria-sort");

  await name.getByRole("button", { name: "Name" }).click();
  await expect(name).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(() => flavorOrder(page)).toEqual(["m1.large", "m1.medium", "m1.small", "m1.tiny", "m1.xlarge"]);

  // Another column starts ascending; a second click turns it round, and only it says it sorts.
  await ram.getByRole("button", { name: "RAM" }).click();
  await expect(ram).toHaveAttribute("aria-sort", "ascending");
  await expect.poll(() => flavorOrder(page)).toEqual(served);
  await ram.getByRole("button", { name: "RAM" }).click();
  await expect(ram).toHaveAttribute("aria-sort", "descending");
  await expect(name).not.toHaveAttribute("aria-sort");
  await expect.poll(() => flavorOrder(page)).toEqual([...served].reverse());

  // A third click gives back the server's order.
  await ram.getByRole("button", { name: "RAM" }).click();
  await expect(ram).not.toHaveAttribute("aria-sort");
  await expect.poll(() => flavorOrder(page)).toEqual(served);

  // Sorting only moves rows: choosing a flavor still works and shows on its row.
  await page.getByRole("radio", { name: "Select flavor m1.small" }).check();
  await expect(page.getByRole("radio", { name: "Select flavor m1.small" })).toBeChecked();
  await expect(page.getByRole("row", { name: /m1\.small/ })).toHaveAttribute("data-selected", "true");
});
