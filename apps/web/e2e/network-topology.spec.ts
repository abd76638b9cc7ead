import { expect, test, type Page } from "@playwright/test";
import { seriousViolations, signIn, trpc } from "./support";

interface Setup {
  externalId: string;
  networkId: string;
  subnetId: string;
  routerId: string;
  instanceId: string;
}

/**
 * An external network, a project network, a router with its gateway on the external network but
 * (not yet) the project subnet as interface, and an instance on the project network: made through
 * the API, as the Routers spec already drives those pages.
 */
async function setUp(page: Page, suffix: string): Promise<Setup> {
  const external = (await trpc(page.request, "networks.create", {
    name: `public-${suffix}`,
    routerExternal: true,
    subnet: { name: `public-${suffix}-v4`, cidr: suffix === "fip" ? "198.51.100.0/24" : "192.0.2.0/24", enableDhcp: false },
  })) as { id: string };
  const network = (await trpc(page.request, "networks.create", {
    name: `inner-${suffix}`,
    subnet: { name: `inner-${suffix}-v4`, cidr: suffix === "fip" ? "10.78.0.0/24" : "10.79.0.0/24" },
  })) as { id: string; subnets: { id: string }[] };
  const router = (await trpc(page.request, "routers.create", { name: `gw-${suffix}`, externalGateway: { networkId: external.id } })) as {
    id: string;
  };
  const [images, flavors] = (await Promise.all(["catalog.images", "catalog.flavors"].map((path) => trpc(page.request, path)))) as {
    id: string;
    name: string;
  }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name: `${suffix}-vm`,
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: network.id,
  })) as { instanceIds: string[] };
  return {
    externalId: external.id,
    networkId: network.id,
    subnetId: network.subnets[0]!.id,
    routerId: router.id,
    instanceId: launched.instanceIds[0]!,
  };
}

/** Removes what setUp made (and what the test left), whatever state it is in. */
async function tearDown(page: Page, setup: Setup | undefined) {
  if (!setup) return;
  for (const f of ((await trpc(page.request, "floatingIps.list")) as { id: string }[] | undefined) ?? [])
    await trpc(page.request, "floatingIps.delete", { id: f.id });
  await trpc(page.request, "routers.removeInterface", { id: setup.routerId, subnetId: setup.subnetId });
  await trpc(page.request, "routers.delete", { id: setup.routerId });
  await trpc(page.request, "instances.delete", { id: setup.instanceId });
  await expect
    .poll(async () => ((await trpc(page.request, "instances.list")) as { id: string }[] | undefined)?.some((i) => i.id === setup.instanceId), {
      timeout: 30_000,
    })
    .toBe(false);
  await trpc(page.request, "networks.delete", { id: setup.networkId });
  await trpc(page.request, "networks.delete", { id: setup.externalId });
}

// Each test builds an instance and removes it with its networks and router afterwards: more than the default minute on a busy machine.
test.describe.configure({ timeout: 150_000 });

test("associate a floating IP from the instance page, see it there and on the Floating IPs page, and disassociate it", async ({ page }) => {
  await signIn(page);
  let setup: Setup | undefined;
  try {
    setup = await setUp(page, "fip");
    await page.goto(`/project/instances/${setup.instanceId}`);
    await expect(page.getByRole("heading", { name: "fip-vm" })).toBeVisible();
    const details = page.getByRole("region", { name: "Instance details" });
    await expect(details).toContainText(/10\.78\.0\.\d+ on inner-fip/);
    const actions = page.getByRole("group", { name: "Actions for fip-vm" });
    // Nothing to disassociate yet, and the button says why.
    await expect(actions.getByRole("button", { name: "Disassociate floating IP" })).toBeDisabled();
    await expect(actions.getByRole("button", { name: "Disassociate floating IP" })).toHaveAccessibleDescription("fip-vm has no floating IP.");

    // The router has no interface on the instance's subnet: the dialog says so next to the port, and so does the server.
    await actions.getByRole("button", { name: "Associate floating IP", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Associate a floating IP with fip-vm" });
    await expect(dialog.getByLabel("Floating IP")).toHaveValue(`new:${setup.externalId}`);
    const port = dialog.getByLabel("Port");
    await expect(port).toHaveAccessibleDescription(/Network inner-fip has no router with its gateway on public-fip/);
    await dialog.getByRole("button", { name: "Associate", exact: true }).click();
    await expect(port).toHaveAccessibleDescription(/External network public-fip is not reachable from subnet inner-fip-v4 of network inner-fip/);
    // The refused allocation kept no address.
    expect(await trpc(page.request, "floatingIps.list")).toEqual([]);
    expect(await seriousViolations(page)).toEqual([]);

    // Once the subnet is an interface of the router (pushed to the open dialog), the association goes through.
    await trpc(page.request, "routers.addInterface", { id: setup.routerId, subnetId: setup.subnetId });
    await expect(port).not.toHaveAccessibleDescription(/has no router/);
    await dialog.getByRole("button", { name: "Associate", exact: true }).click();
    await expect(dialog).toBeHidden();
    await expect(details).toContainText(/Floating IP 198\.51\.100\.\d+/);
    const address = (await details.textContent())!.match(/Floating IP (198\.51\.100\.\d+)/)![1]!;
    await expect(actions.getByRole("button", { name: "Associate floating IP", exact: true })).toHaveAccessibleDescription(
      "Every port of fip-vm already has a floating IP: disassociate one first.",
    );

    // The Floating IPs page shows it associated with the instance.
    await page.getByRole("link", { name: "Floating IPs" }).click();
    const row = page.getByRole("row", { name: new RegExp(address.replaceAll(".", "\\.")) });
    await expect(row.getByRole("link", { name: "fip-vm" })).toBeVisible();
    await expect(row).toContainText("ACTIVE");

    // From the instance list's row menu: disassociate, confirmed.
    await page.getByRole("link", { name: "Instances", exact: true }).click();
    await page
      .getByRole("row", { name: /fip-vm/ })
      .getByRole("button", { name: "Actions for fip-vm" })
      .click();
    await page.getByRole("menuitem", { name: "Disassociate floating IP" }).click();
    const confirm = page.getByRole("dialog", { name: "Disassociate a floating IP from fip-vm?" });
    await expect(confirm).toContainText(`${address} stops answering`);
    await confirm.getByRole("button", { name: "Confirm disassociate" }).click();
    await expect(confirm).toBeHidden();
    await page.goto(`/project/instances/${setup.instanceId}`);
    await expect(details).toContainText(/10\.78\.0\.\d+ on inner-fip/);
    await expect(details).not.toContainText("Floating IP");
    await page.getByRole("link", { name: "Floating IPs" }).click();
    await expect(page.getByRole("row", { name: new RegExp(address.replaceAll(".", "\\.")) })).toContainText("Not associated");
  } finally {
    await tearDown(page, setup);
  }
});

test("the network topology draws networks, routers and instances as named links, live, and each leads to its page", async ({ page }) => {
  await signIn(page);
  let setup: Setup | undefined;
  let other: string | undefined;
  try {
    setup = await setUp(page, "topo");
    await trpc(page.request, "routers.addInterface", { id: setup.routerId, subnetId: setup.subnetId });
    await page.getByRole("link", { name: "Network topology" }).click();
    await expect(page.getByRole("heading", { name: "Network topology" })).toBeVisible();
    const graph = page.getByLabel(/^Network topology of project/);
    await expect(graph.getByRole("link", { name: /^External network public-topo, 192\.0\.2\.0\/24/ })).toBeVisible();
    await expect(graph.getByRole("link", { name: /^Network inner-topo, 10\.79\.0\.0\/24/ })).toBeVisible();
    const router = graph.getByRole("link", {
      name: /^Router gw-topo, gateway on public-topo \(192\.0\.2\.\d+\), interfaces on inner-topo \(10\.79\.0\.1\)/,
    });
    await expect(router).toBeVisible();
    const instance = graph.getByRole("link", { name: /^Instance topo-vm, \w+, 10\.79\.0\.\d+ on inner-topo/ });
    await expect(instance).toBeVisible();
    // The same in rows, for those who do not see the drawing.
    await expect(page.getByRole("table", { name: "Network topology as a table" })).toContainText("topo-vm");
    expect(await seriousViolations(page)).toEqual([]);

    // Keyboard: a node takes focus and Enter follows it.
    await router.focus();
    await expect(router).toBeFocused();
    await page.keyboard.press("Enter");
    await expect(page).toHaveURL(/\/project\/routers$/);
    await page.goBack();

    // Live: a router made elsewhere appears without a reload.
    other = ((await trpc(page.request, "routers.create", { name: "gw-later" })) as { id: string }).id;
    await expect(graph.getByRole("link", { name: /^Router gw-later, no gateway, no interface/ })).toBeVisible();

    await instance.click();
    await expect(page).toHaveURL(new RegExp(`/project/instances/${setup.instanceId}$`));
    await expect(page.getByRole("heading", { name: "topo-vm" })).toBeVisible();
  } finally {
    if (other) await trpc(page.request, "routers.delete", { id: other });
    await tearDown(page, setup);
  }
});
