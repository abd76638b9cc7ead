import { expect, test, type Page } from "@playwright/test";
import { openWizardAtFlavor, signIn, trpc } from "./support";

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

/** The instance names on the list's page, top to bottom (the links in the Name column). */
async function instanceNames(page: Page): Promise<string[]> {
  return page.getByRole("link", { name: /^pg[abc]-\d+$/ }).allTextContents();
}

test("the instance list pages, sorts and filters on the server: 20 a page, Previous and Next, a sortable Name, a Name filter", async ({ page }) => {
  await signIn(page);
  const principal = (await trpc(page.request, "auth.whoami")) as { projectId: string };
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  await trpc(page.request, "quotas.set", { projectId: principal.projectId, limits: { instances: 30, cores: 30 } });
  // Three launches (at most ten at once), one after another: pga-1…10, then pgb-1…10, then pgc-1…3.
  const ids: string[] = [];
  try {
    for (const [name, count] of [
      ["pga", 10],
      ["pgb", 10],
      ["pgc", 3],
    ] as const) {
      const launched = (await trpc(page.request, "instances.launch", {
        name,
        count,
        imageId: images!.find((i) => i.name === "blank-1g")!.id,
        flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks!.find((n) => n.name === "shared-net")!.id,
      })) as { instanceIds: string[] } | undefined;
      expect(launched, `launch ${name}`).toBeDefined();
      ids.push(...launched!.instanceIds);
    }
    await page.reload();
    const pager = page.getByRole("navigation", { name: "Pages" });
    const previous = pager.getByRole("button", { name: "Previous page" });
    const next = pager.getByRole("button", { name: "Next page" });
    // Newest launch first, those launched together in launch order.
    const series = (name: string, count: number) => Array.from({ length: count }, (_, i) => `${name}-${i + 1}`);
    const newest = [...series("pgc", 3), ...series("pgb", 10), ...series("pga", 10)];
    const first = newest.slice(0, 20);
    await expect.poll(() => instanceNames(page)).toEqual(first);
    await expect(pager).toContainText("Instances 1–20, page 1");
    await expect(previous).toBeDisabled();
    await next.click();
    await expect.poll(() => instanceNames(page)).toEqual(newest.slice(20));
    await expect(pager).toContainText("Instances 21–23, page 2");
    await expect(next).toBeDisabled();
    await previous.click();
    await expect.poll(() => instanceNames(page)).toEqual(first);

    // The Name header sorts by name on the server (text order: pga-1, pga-10, pga-2 …), then the other way.
    const name = page.getByRole("columnheader", { name: "Name", exact: true });
    await name.getByRole("button", { name: "Name" }).click();
    await expect(name).toHaveAttribute("aria-sort", "ascending");
    const byName = [...newest].sort();
    await expect.poll(() => instanceNames(page)).toEqual(byName.slice(0, 20));
    await next.click();
    await expect.poll(() => instanceNames(page)).toEqual(byName.slice(20));
    await name.getByRole("button", { name: "Name" }).click();
    await expect(name).toHaveAttribute("aria-sort", "descending");
    // A new sort starts again from its first page.
    await expect.poll(() => instanceNames(page)).toEqual([...byName].reverse().slice(0, 20));
    await expect(previous).toBeDisabled();

    // The Name filter narrows the list on the server, whatever page it was on.
    await page.getByRole("search", { name: "Filter instances" }).getByLabel("Name").fill("pgb-1");
    await expect.poll(() => instanceNames(page)).toEqual(["pgb-10", "pgb-1"]);
    await expect(next).toBeDisabled();
    await page.getByRole("search", { name: "Filter instances" }).getByLabel("Name").fill("no-such-instance");
    await expect(page.getByText("No instances match these filters.")).toBeVisible();
  } finally {
    for (const id of ids) await trpc(page.request, "instances.delete", { id });
    await expect
      .poll(async () => ((await trpc(page.request, "instances.list")) as { name: string }[]).filter((i) => /^pg[abc]-/.test(i.name)).length, {
        timeout: 60_000,
      })
      .toBe(0);
    await trpc(page.request, "quotas.set", { projectId: principal.projectId, limits: { instances: 10, cores: 20 } });
  }
});

/** The key pair names on the page, top to bottom (the Name column's cells). */
async function keyPairNames(page: Page): Promise<string[]> {
  const names = await page
    .getByRole("row")
    .getByRole("cell")
    .filter({ hasText: /^pgk-\d+$/ })
    .allTextContents();
  return names;
}

test("the key pair list pages, sorts and filters on the server: 20 a page, Previous and Next, a sortable Name, a Name filter", async ({ page }) => {
  await signIn(page);
  const names = Array.from({ length: 23 }, (_, i) => `pgk-${String(i + 1).padStart(2, "0")}`);
  try {
    for (const name of names) expect(await trpc(page.request, "keyPairs.create", { name }), `create ${name}`).toBeDefined();
    await page.goto("/project/key-pairs");
    // Only this test's key pairs: the Name filter narrows on the server.
    await page.getByRole("search", { name: "Filter key pairs" }).getByLabel("Name").fill("pgk-");
    const pager = page.getByRole("navigation", { name: "Pages" });
    const previous = pager.getByRole("button", { name: "Previous page" });
    const next = pager.getByRole("button", { name: "Next page" });
    await expect.poll(() => keyPairNames(page)).toEqual(names.slice(0, 20));
    await expect(pager).toContainText("Key pairs 1–20, page 1");
    await expect(previous).toBeDisabled();
    await next.click();
    await expect.poll(() => keyPairNames(page)).toEqual(names.slice(20));
    await expect(pager).toContainText("Key pairs 21–23, page 2");
    await expect(next).toBeDisabled();
    await previous.click();
    await expect.poll(() => keyPairNames(page)).toEqual(names.slice(0, 20));

    // Name sorts on the server: ascending, then descending from the first page again.
    const name = page.getByRole("columnheader", { name: "Name", exact: true });
    await name.getByRole("button", { name: "Name" }).click();
    await expect(name).toHaveAttribute("aria-sort", "ascending");
    await name.getByRole("button", { name: "Name" }).click();
    await expect(name).toHaveAttribute("aria-sort", "descending");
    await expect.poll(() => keyPairNames(page)).toEqual([...names].reverse().slice(0, 20));
    await expect(previous).toBeDisabled();
    // The fingerprint column is not one the server sorts by: its header is no button.
    await expect(page.getByRole("columnheader", { name: "Fingerprint" }).getByRole("button")).toHaveCount(0);

    await page.getByRole("search", { name: "Filter key pairs" }).getByLabel("Name").fill("pgk-2");
    await expect.poll(() => keyPairNames(page)).toEqual(["pgk-23", "pgk-22", "pgk-21", "pgk-20"]);
    await expect(next).toBeDisabled();
    await page.getByRole("search", { name: "Filter key pairs" }).getByLabel("Name").fill("no-such-key");
    await expect(page.getByText("No key pairs match this name.")).toBeVisible();
  } finally {
    for (const name of names) await trpc(page.request, "keyPairs.delete", { name });
  }
});
