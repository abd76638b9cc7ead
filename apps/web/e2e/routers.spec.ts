import { expect, test, type Page } from "@playwright/test";
import { seriousViolations, signIn, trpc } from "./support";

/** Creates a network with a first subnet through the Networks page; `external` ticks the admin's External network box. */
async function createNetwork(page: Page, { name, cidr, external }: { name: string; cidr: string; external: boolean }) {
  await page.getByRole("link", { name: "Networks", exact: true }).click();
  await page.getByRole("button", { name: "Create network" }).click();
  const dialog = page.getByRole("dialog", { name: "Create a network" });
  await dialog.getByLabel("Network name").fill(name);
  if (external) await dialog.getByRole("checkbox", { name: "External network" }).check();
  await dialog.getByLabel("Network address (CIDR)").fill(cidr);
  await dialog.getByRole("button", { name: "Create network" }).click();
  await expect(dialog).toBeHidden();
  const card = page.getByRole("region", { name });
  await expect(card).toBeVisible();
  if (external) await expect(card).toContainText("External");
  else await expect(card).not.toContainText("External");
}

/**
 * Neutron's L3 from the console, as a cloud admin: an external network, a router with the
 * project's subnet as interface and its gateway there, a floating IP allocated from it and
 * associated with an instance's port, each listed as the API has it (the e2e host may not be
 * able to run the router: the table says where it runs or that no host can).
 */
test("create a router with an interface and a gateway, and associate a floating IP with an instance", async ({ page }) => {
  await signIn(page);
  await createNetwork(page, { name: "public-l3", cidr: "203.0.113.0/24", external: true });
  await createNetwork(page, { name: "private-l3", cidr: "10.77.0.0/24", external: false });

  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: "l3-vm",
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "private-l3")!.id,
  })) as { instanceIds: string[] };
  const instanceId = launched.instanceIds[0]!;
  let routerId: string | undefined;
  try {
    await page.getByRole("link", { name: "Instances", exact: true }).click();
    await expect(page.getByRole("row", { name: /l3-vm/ })).toContainText("ACTIVE");

    // The router, made bare: nothing to route, so it runs nowhere yet.
    await page.getByRole("link", { name: "Routers" }).click();
    await expect(page.getByRole("heading", { name: "Routers" })).toBeVisible();
    await page.getByRole("button", { name: "Create router" }).click();
    const create = page.getByRole("dialog", { name: "Create a router" });
    await create.getByLabel("Router name").fill("edge");
    await expect(create.getByLabel("External network")).toHaveValue("");
    await create.getByRole("button", { name: "Create router" }).click();
    await expect(create).toBeHidden();
    const row = page.getByRole("row", { name: /edge/ });
    await expect(row).toContainText("Not placed: nothing to route yet");
    routerId = ((await trpc(page.request, "routers.list")) as { id: string; name: string }[]).find((r) => r.name === "edge")!.id;

    // The project's subnet as interface: the router takes its gateway address.
    await row.getByRole("button", { name: "Add an interface to router edge" }).click();
    const add = page.getByRole("dialog", { name: "Add an interface to router edge" });
    await add.getByLabel("Subnet").selectOption({ label: "private-l3: 10.77.0.0/24" });
    await add.getByRole("button", { name: "Add interface" }).click();
    await expect(add).toBeHidden();
    await expect(row).toContainText("private-l3: 10.77.0.0/24 10.77.0.1");
    await expect(row.getByRole("button", { name: "Remove interface 10.77.0.1 from router edge" })).toBeVisible();

    // The gateway: a choice is required, and the refusal shows next to the select.
    await row.getByRole("button", { name: "Set the gateway of router edge" }).click();
    const gateway = page.getByRole("dialog", { name: "Set the gateway of router edge" });
    await gateway.getByRole("button", { name: "Set gateway" }).click();
    await expect(gateway.getByLabel("External network")).toHaveAccessibleDescription(/Not a network id\./);
    await gateway.getByLabel("External network").selectOption({ label: "public-l3" });
    await gateway.getByRole("button", { name: "Set gateway" }).click();
    await expect(gateway).toBeHidden();
    await expect(row).toContainText("public-l3");
    await expect(row).toContainText(/203\.0\.113\.\d+/);
    await expect(row.getByRole("button", { name: "Clear the gateway of router edge" })).toBeVisible();
    // Where it runs, as the API says: its host, or plainly none when no host can take it.
    const listed = ((await trpc(page.request, "routers.list")) as { id: string; host: string | null }[]).find((r) => r.id === routerId)!;
    await expect(row).toContainText(listed.host ?? "Not placed: no host can run it");
    expect(await seriousViolations(page)).toEqual([]);

    // A floating IP from the external network, then associated with the instance's port.
    await page.getByRole("link", { name: "Floating IPs" }).click();
    await expect(page.getByRole("heading", { name: "Floating IPs" })).toBeVisible();
    await page.getByRole("button", { name: "Allocate IP" }).click();
    const allocate = page.getByRole("dialog", { name: "Allocate a floating IP" });
    await allocate.getByLabel("External network").selectOption({ label: "public-l3" });
    await allocate.getByRole("button", { name: "Allocate IP" }).click();
    await expect(allocate).toBeHidden();
    const fip = page.getByRole("row", { name: /203\.0\.113\.\d+/ });
    await expect(fip).toContainText("public-l3");
    await expect(fip).toContainText("Not associated");
    await expect(fip).toContainText("DOWN");

    await fip.getByRole("button", { name: /^Associate floating IP 203\.0\.113\./ }).click();
    const associate = page.getByRole("dialog", { name: /^Associate floating IP 203\.0\.113\./ });
    const port = associate.getByLabel("Instance port");
    const option = port.locator("option", { hasText: "l3-vm: 10.77.0." });
    await port.selectOption((await option.getAttribute("value"))!);
    await associate.getByRole("button", { name: "Associate" }).click();
    await expect(associate).toBeHidden();
    await expect(fip.getByRole("link", { name: "l3-vm" })).toBeVisible();
    await expect(fip).toContainText(/10\.77\.0\.\d+/);
    await expect(fip).toContainText("ACTIVE");
    await expect(fip.getByRole("button", { name: /^Disassociate floating IP/ })).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);

    // Disassociate, then release, each confirmed first.
    await fip.getByRole("button", { name: /^Disassociate floating IP/ }).click();
    await page
      .getByRole("dialog", { name: /^Disassociate floating IP/ })
      .getByRole("button", { name: "Confirm disassociate" })
      .click();
    await expect(fip).toContainText("Not associated");
    await fip.getByRole("button", { name: /^Release floating IP/ }).click();
    await page
      .getByRole("dialog", { name: /^Release floating IP/ })
      .getByRole("button", { name: "Confirm release" })
      .click();
    await expect(page.getByText("No floating IPs yet.")).toBeVisible();

    // A router with an interface is not deleted: the refusal stays in the dialog.
    await page.getByRole("link", { name: "Routers" }).click();
    await row.getByRole("button", { name: "Delete router edge" }).click();
    const remove = page.getByRole("dialog", { name: "Delete router edge?" });
    await remove.getByRole("button", { name: "Confirm delete" }).click();
    await expect(remove.getByRole("alert")).toContainText("still has an interface");
    await remove.getByRole("button", { name: "Cancel" }).click();
    await row.getByRole("button", { name: "Remove interface 10.77.0.1 from router edge" }).click();
    await page
      .getByRole("dialog", { name: /^Remove interface 10\.77\.0\.1/ })
      .getByRole("button", { name: "Confirm remove" })
      .click();
    await expect(row).not.toContainText("10.77.0.1");
    await row.getByRole("button", { name: "Delete router edge" }).click();
    await remove.getByRole("button", { name: "Confirm delete" }).click();
    await expect(page.getByText("No routers yet.")).toBeVisible();
    routerId = undefined;
  } finally {
    if (routerId) {
      for (const f of (await trpc(page.request, "floatingIps.list")) as { id: string }[])
        await trpc(page.request, "floatingIps.delete", { id: f.id });
      const routers = (await trpc(page.request, "routers.list")) as { id: string; interfaces: { subnetId: string }[] }[] | undefined;
      const router = routers?.find((r) => r.id === routerId);
      for (const i of router?.interfaces ?? []) await trpc(page.request, "routers.removeInterface", { id: routerId, subnetId: i.subnetId });
      await trpc(page.request, "routers.delete", { id: routerId });
    }
    await trpc(page.request, "instances.delete", { id: instanceId });
  }
});
