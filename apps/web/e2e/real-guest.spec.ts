import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { E2E } from "../playwright.config";
import { REAL_GUEST } from "../playwright.real-guest.config";
import { signedInClient } from "../test/harness";
import { prepareRealHypervisor, uploadTestGuest } from "../test/test-guest";
import { signIn, trpc } from "./support";

/**
 * A guest that really boots: the test image (a Debian cloud kernel and a busybox initramfs,
 * scripts/test-image/build.sh) is uploaded on the Images page, a key pair is made on the Key
 * pairs page, and the wizard launches it onto the cloud's one host, on qemu:///system (TCG); its serial console, live on the
 * instance page, shows the hostname, the key's fingerprint and the address the guest got by DHCP,
 * read by the guest from its config drive, and its user data script runs. A second guest pings it
 * through its security group, shut out until a rule added in the console reaches the running
 * guest, and again once the rule is deleted. Deleting them leaves no domain, and no host
 * network, behind. A guest whose kernel also prints to its screen shows that screen in the
 * instance page's graphical console (noVNC through the console proxy), drawn and changing.
 */

const GUEST = "e2e-guest";
const KEY = "e2e-key";
const PINGER = "e2e-pinger";
const SCREEN = "e2e-screen";

/** Picks `option` in the Mantine Select labelled `label`. */
async function choose(page: Page, label: string, option: string | RegExp) {
  await page.getByRole("combobox", { name: label }).click();
  await page.getByRole("option", { name: option }).click();
}

async function uploadImage(
  page: Page,
  { file, name, kind, kernel, ramdisk }: { file: string; name: string; kind: "Kernel" | "Ramdisk" | "Disk image"; kernel?: string; ramdisk?: string },
) {
  await page.getByRole("button", { name: "Create image" }).click();
  const dialog = page.getByRole("dialog", { name: "Create image" });
  // A styled file input: its button opens the file chooser.
  const chooser = page.waitForEvent("filechooser");
  await dialog.getByRole("button", { name: "Image file" }).click();
  await (await chooser).setFiles(file);
  await dialog.getByLabel("Name").fill(name);
  await choose(page, "Kind", kind);
  if (kernel) await choose(page, "Kernel", kernel);
  if (ramdisk) await choose(page, "Ramdisk", ramdisk);
  if (kernel) await dialog.getByLabel("Kernel command line").fill("console=ttyS0");
  await dialog.getByRole("button", { name: "Create image" }).click();
  await expect(dialog).toBeHidden({ timeout: 60_000 });
  await expect(page.getByRole("row", { name: new RegExp(`^${name}\\b`) })).toContainText("Active", { timeout: 30_000 });
}

test("a real guest boots from an uploaded image and shows its hostname, key and address on the live console", async ({ page }) => {
  test.setTimeout(420_000);
  const imageDir = prepareRealHypervisor();
  await signIn(page);

  // Images: kernel, ramdisk, then the disk that boots with them.
  await page.getByRole("link", { name: "Images" }).click();
  await uploadImage(page, { file: path.join(imageDir, "vmlinuz"), name: `${GUEST}-kernel`, kind: "Kernel" });
  await uploadImage(page, { file: path.join(imageDir, "initrd.img"), name: `${GUEST}-initrd`, kind: "Ramdisk" });
  await uploadImage(page, {
    file: path.join(imageDir, "disk.qcow2"),
    name: `${GUEST}-disk`,
    kind: "Disk image",
    kernel: `${GUEST}-kernel`,
    ramdisk: `${GUEST}-initrd`,
  });
  await expect(page.getByRole("row", { name: new RegExp(`^${GUEST}-disk\\b`) })).toContainText("qcow2");

  // A key pair: the private key is shown once; the fingerprint stays in the table.
  await page.getByRole("link", { name: "Key pairs" }).click();
  await page.getByRole("button", { name: "Create key pair" }).click();
  const keyDialog = page.getByRole("dialog", { name: "Create key pair" });
  await keyDialog.getByLabel("Key pair name").fill(KEY);
  await keyDialog.getByRole("button", { name: "Create key pair" }).click();
  await expect(page.getByLabel("Private key")).toHaveValue(/BEGIN OPENSSH PRIVATE KEY/);
  await page.getByRole("button", { name: "I have saved the private key" }).click();
  const fingerprint = (await page
    .getByRole("row", { name: new RegExp(`^${KEY}\\b`) })
    .locator("code")
    .textContent())!.trim();
  expect(fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);

  // The wizard, onto the qemu host.
  await page.getByRole("link", { name: "Instances", exact: true }).click();
  await page.getByRole("button", { name: "Launch instance" }).click();
  await page.getByLabel("Instance name").fill(GUEST);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: `Select image ${GUEST}-disk` }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByRole("checkbox", { name: "default" })).toBeVisible();
  await page.getByRole("button", { name: "Next" }).click();
  await choose(page, "Key pair", KEY);
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("textbox", { name: "User data" }).fill("#!/bin/sh\necho hello from user data\n");
  await page.getByRole("button", { name: "Launch instance" }).click();

  // The instance page: the build's phases, then the guest's own words on its console.
  await expect(page.getByRole("heading", { name: GUEST })).toBeVisible();
  const consoleLog = page.getByLabel("Serial console log");
  await expect(consoleLog).toContainText(`NIMBUS-GUEST hostname=${GUEST}`, { timeout: 240_000 });
  await expect(consoleLog).toContainText(`NIMBUS-GUEST key=${fingerprint}`);
  await expect(consoleLog).toContainText(`NIMBUS-GUEST key-name=${KEY}`);
  await expect(consoleLog).toContainText(/NIMBUS-GUEST address=10\.0\.0\.\d+/);
  await expect(consoleLog).toContainText("NIMBUS-GUEST booted");
  await expect(page.getByText("Guest booted", { exact: true }).first()).toBeVisible();
  const address = (await consoleLog.textContent())!.match(/NIMBUS-GUEST address=(10\.0\.0\.\d+)/)![1];
  await expect(page.getByRole("region", { name: "Instance details" })).toContainText(address!);

  // The user data ran: the test image runs a "#!" script, as cloud-init does.
  await expect(consoleLog).toContainText("hello from user data");

  // Security groups on running guests. A second guest, in a group of its own, pings the first
  // every second and says so on its console. The first one's default group admits only its own
  // members, until an ICMP rule added on the Security groups page reaches it (no rebuild);
  // deleting the rule shuts the second one out again.
  const instances = (await trpc(page.request, "instances.list")) as { id: string; name: string }[];
  const id = instances.find((i) => i.name === GUEST)!.id;
  const [images, flavors, catalogNetworks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  // A new group lets nothing in or out: its pings may go out.
  const pingerGroup = (await trpc(page.request, "securityGroups.create", { name: "e2e-pinger" })) as { id: string };
  await trpc(page.request, "securityGroups.addRule", { groupId: pingerGroup.id, direction: "egress", protocol: "icmp" });
  const launchPinger = async (name: string) =>
    (
      (await trpc(page.request, "instances.launch", {
        name,
        count: 1,
        imageId: images!.find((i) => i.name === `${GUEST}-disk`)!.id,
        flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
        networkId: catalogNetworks!.find((n) => n.name === "shared-net")!.id,
        securityGroupIds: [pingerGroup.id],
        userData: `#!/bin/sh\nwhile :; do\n  if ping -c 1 -W 1 ${address} >/dev/null 2>&1; then echo "PING ok"; else echo "PING blocked"; fi\n  sleep 1\ndone\n`,
      })) as { instanceIds: string[] }
    ).instanceIds[0]!;
  const pingerId = await launchPinger(PINGER);
  const lastPing = async () => (await page.getByLabel("Serial console log").textContent())?.match(/PING (ok|blocked)/g)?.at(-1);
  await page.goto(`/project/instances/${pingerId}`);
  await expect(page.getByLabel("Serial console log")).toContainText("PING blocked", { timeout: 240_000 });
  expect(await page.getByLabel("Serial console log").textContent()).not.toContain("PING ok");

  await page.getByRole("link", { name: "Security groups" }).click();
  await page.getByRole("button", { name: "Add a rule to security group default" }).click();
  const ruleDialog = page.getByRole("dialog", { name: "Add a rule to default" });
  await choose(page, "Protocol", "ICMP");
  await ruleDialog.getByLabel("Remote CIDR").fill("10.0.0.0/24");
  await ruleDialog.getByRole("button", { name: "Add rule" }).click();
  await expect(ruleDialog).toBeHidden();
  // Applied on the host: the group no longer says it is applying the rule.
  await expect(page.getByRole("status").filter({ hasText: "Applying rules" })).toHaveCount(0, { timeout: 20_000 });
  await page.goto(`/project/instances/${pingerId}`);
  await expect.poll(lastPing, { timeout: 30_000 }).toBe("PING ok");

  await page.getByRole("link", { name: "Security groups" }).click();
  await page.getByRole("button", { name: "Delete rule ingress ICMP from 10.0.0.0/24" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByRole("button", { name: "Delete rule ingress ICMP from 10.0.0.0/24" })).toHaveCount(0);
  await page.goto(`/project/instances/${pingerId}`);
  await expect.poll(lastPing, { timeout: 30_000 }).toBe("PING blocked");

  // A rule admitting anything from the pingers' group, by name: the guest's host keeps the
  // group's members in an ipset, so a second pinger launched into the group afterwards gets
  // through as well.
  await page.getByRole("link", { name: "Security groups" }).click();
  await page.getByRole("button", { name: "Add a rule to security group default" }).click();
  await choose(page, "Protocol", "Any protocol");
  await ruleDialog.getByRole("radio", { name: "Security group" }).check();
  await choose(page, "Remote security group", "e2e-pinger");
  await ruleDialog.getByRole("button", { name: "Add rule" }).click();
  await expect(ruleDialog).toBeHidden();
  await page.goto(`/project/instances/${pingerId}`);
  await expect.poll(lastPing, { timeout: 30_000 }).toBe("PING ok");
  const secondPingerId = await launchPinger(`${PINGER}-2`);
  await page.goto(`/project/instances/${secondPingerId}`);
  await expect(page.getByLabel("Serial console log")).toContainText("PING ok", { timeout: 240_000 });
  for (const pinger of [pingerId, secondPingerId]) await trpc(page.request, "instances.delete", { id: pinger });

  // Delete: the domain is destroyed and undefined on the host.
  await page.goto(`/project/instances/${id}`);
  await page.getByRole("button", { name: "Delete instance" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();
  await expect
    .poll(() => execFileSync("virsh", ["-c", "qemu:///system", "list", "--all", "--uuid"], { encoding: "utf8" }).includes(id), { timeout: 60_000 })
    .toBe(false);
  // The host reports the delete once everything is gone; its network went with its last port.
  await expect
    .poll(async () => ((await trpc(page.request, "instances.list")) as { id: string }[]).some((i) => [id, pingerId, secondPingerId].includes(i.id)), {
      timeout: 60_000,
    })
    .toBe(false);
  const networks = (await trpc(page.request, "catalog.networks")) as { id: string; name: string }[];
  const shared = networks.find((n) => n.name === "shared-net")!;
  expect(execFileSync("virsh", ["-c", "qemu:///system", "net-list", "--all", "--name"], { encoding: "utf8" })).not.toContain(
    `nimbus-${shared.id.slice(0, 8)}`,
  );
  // And no security group member set: no filter names one any more.
  expect(execFileSync("ipset", ["list", "-name"], { encoding: "utf8" })).not.toMatch(/^nimbus-sg-/m);
});

/** How many times `line` is on the serial console shown on the instance page now. */
async function linesOnConsole(page: Page, line: string): Promise<number> {
  return ((await page.getByLabel("Serial console log").textContent()) ?? "").split(line).length - 1;
}

/** The domain's state as libvirt says it (`running`, `shut off`, ...); the domain's UUID is the instance's id. */
const domainState = (id: string) => execFileSync("virsh", ["-c", "qemu:///system", "domstate", id], { encoding: "utf8" }).trim();

/**
 * One guest for the resize and then its power actions (each boot of a TCG guest costs the suite
 * time): the second test runs on the instance the first one grew, and deletes it.
 */
test.describe("a real guest's resize and power actions", () => {
  test.describe.configure({ mode: "serial" });
  const GROW = "e2e-grow";
  let grownId: string | undefined;

  /**
   * Resize with confirm on a real guest (its images uploaded through the API): launched on
   * m1.tiny, resized from its page's Resize dialog to m1.small, it boots again on the same host
   * with the new flavor's memory and a disk grown to 20 GB (as the guest itself reports them on
   * its console), waits in VERIFY_RESIZE, and is ACTIVE again once confirmed.
   */
  test("resize a real guest with confirm: it boots again with more memory and a grown disk", async ({ page }) => {
    test.setTimeout(420_000);
    prepareRealHypervisor();
    await signIn(page);
    const baseURL = test.info().project.use.baseURL!;
    const { imageId } = await uploadTestGuest(baseURL, await signedInClient(baseURL, "admin", E2E.adminPassword), "e2e-grow-guest");
    const [flavors, networks] = (await Promise.all(["catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)))) as {
      id: string;
      name: string;
    }[][];
    const id = (
      (await trpc(page.request, "instances.launch", {
        name: GROW,
        count: 1,
        imageId,
        flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
        networkId: networks!.find((n) => n.name === "shared-net")!.id,
        userData: `#!/bin/sh\necho "NIMBUS-MEM kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"\n`,
      })) as { instanceIds: string[] }
    ).instanceIds[0]!;
    try {
      await page.goto(`/project/instances/${id}`);
      const consoleLog = page.getByLabel("Serial console log");
      await expect(consoleLog).toContainText("NIMBUS-GUEST booted", { timeout: 240_000 });
      await expect(consoleLog).toContainText(`disk vda ${1024 ** 3} bytes`);
      await expect(consoleLog).toContainText(/NIMBUS-MEM kb=\d+/);
      const memories = async () => [...((await consoleLog.textContent()) ?? "").matchAll(/NIMBUS-MEM kb=(\d+)/g)].map((m) => Number(m[1]));
      const before = (await memories())[0]!;

      const actions = page.getByRole("group", { name: `Actions for ${GROW}` });
      await actions.getByRole("button", { name: "Resize", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: `Resize ${GROW}` });
      await dialog.getByRole("radio", { name: /^m1\.small/ }).check();
      await dialog.getByRole("button", { name: "Resize" }).click();
      await expect(dialog).toBeHidden();

      // The guest is asked to power off (its ACPI power button), then boots on the new flavor.
      await expect(page.getByRole("heading", { name: GROW }).locator("..")).toContainText("VERIFY_RESIZE", { timeout: 240_000 });
      await expect(consoleLog).toContainText("NIMBUS-GUEST power-button");
      await expect(consoleLog).toContainText(`disk vda ${20 * 1024 ** 3} bytes`, { timeout: 120_000 });
      await expect.poll(async () => (await memories()).length, { timeout: 120_000 }).toBe(2);
      const after = (await memories())[1]!;
      // m1.tiny has 512 MB, m1.small 2048 MB: the guest sees about three times as much more.
      expect(after).toBeGreaterThan(before * 3);

      await actions.getByRole("button", { name: "Confirm resize" }).click();
      await expect(page.getByRole("heading", { name: GROW }).locator("..")).toContainText("ACTIVE");
      await expect(page.getByRole("region", { name: "Instance details" })).toContainText("m1.small");
      // Its disk's backup on the host went with the confirm.
      expect(execFileSync("ls", [path.join(REAL_GUEST.agentStateDir, "instances", id)], { encoding: "utf8" })).not.toContain("resize-backup");
      grownId = id;
    } finally {
      if (grownId === undefined) await deleteAndWait(page, id);
    }
  });

  /**
   * Stop, start, soft and hard reboot of the grown guest from its page's buttons, each seen as
   * the user sees it: stop asks the guest, which says so on its console and powers itself off
   * (SHUTOFF, the domain shut off, well before the shutdown timeout would have pulled the plug);
   * start and both reboots each show a new boot on the console; a soft reboot asks the guest
   * first, a hard one does not.
   */
  test("stop, start, soft reboot and hard reboot a real guest: its console shows each shutdown and boot", async ({ page }) => {
    test.setTimeout(300_000);
    const id = grownId!;
    try {
      await signIn(page);
      await page.goto(`/project/instances/${id}`);
      const consoleLog = page.getByLabel("Serial console log");
      await expect(consoleLog).toContainText("NIMBUS-GUEST booted");
      const status = page.getByRole("heading", { name: GROW, exact: true }).locator("..");
      const actions = page.getByRole("group", { name: `Actions for ${GROW}` });
      const boots = () => linesOnConsole(page, "NIMBUS-GUEST booted");
      const presses = () => linesOnConsole(page, "NIMBUS-GUEST power-button");
      const [booted, pressed] = [await boots(), await presses()];

      // Stop: confirmed first; the guest hears the power button and powers itself off.
      await actions.getByRole("button", { name: "Stop", exact: true }).click();
      await page
        .getByRole("dialog", { name: `Stop ${GROW}?` })
        .getByRole("button", { name: "Confirm stop" })
        .click();
      await expect(status).toContainText("SHUTOFF", { timeout: 60_000 });
      await expect.poll(presses).toBe(pressed + 1);
      expect(domainState(id)).toBe("shut off");

      // Start: the domain runs and the guest boots again, its marker lines once more.
      await actions.getByRole("button", { name: "Start", exact: true }).click();
      await expect(status).toContainText("ACTIVE", { timeout: 60_000 });
      expect(domainState(id)).toBe("running");
      await expect.poll(boots, { timeout: 120_000 }).toBe(booted + 1);
      await expect(consoleLog).toContainText(`NIMBUS-GUEST instance=${id}`);

      // Soft reboot: the guest is asked (the power button again), then boots.
      await actions.getByRole("button", { name: "Soft reboot", exact: true }).click();
      await expect.poll(boots, { timeout: 120_000 }).toBe(booted + 2);
      expect(await presses()).toBe(pressed + 2);
      await expect(status).toContainText("ACTIVE");

      // Hard reboot: confirmed first; the power is cut without asking, and the guest boots.
      await actions.getByRole("button", { name: "Hard reboot", exact: true }).click();
      await page
        .getByRole("dialog", { name: `Hard reboot ${GROW}?` })
        .getByRole("button", { name: "Confirm hard reboot" })
        .click();
      await expect.poll(boots, { timeout: 120_000 }).toBe(booted + 3);
      expect(await presses()).toBe(pressed + 2);
      await expect(status).toContainText("ACTIVE");
      expect(domainState(id)).toBe("running");
    } finally {
      await deleteAndWait(page, id);
    }
  });
});

/** Deletes the instance and waits until it is gone from the list (its host's filters and sets with it). */
async function deleteAndWait(page: Page, id: string) {
  await trpc(page.request, "instances.delete", { id });
  await expect
    .poll(async () => ((await trpc(page.request, "instances.list")) as { id: string }[]).some((i) => i.id === id), { timeout: 60_000 })
    .toBe(false);
}

/** A digest of the noVNC canvas as drawn now: how many colours it has, and a hash of its pixels. */
async function screenPixels(page: Page, name: string): Promise<{ colours: number; hash: string; width: number }> {
  return page
    .getByRole("application", { name: `Screen of ${name}` })
    .locator("canvas")
    .evaluate((canvas: HTMLCanvasElement) => {
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const colours = new Set<number>();
      let hash = 2166136261;
      for (let i = 0; i < data.length; i += 4) {
        const rgb = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
        if (colours.size < 64) colours.add(rgb);
        hash = Math.imul(hash ^ rgb, 16777619) >>> 0;
      }
      return { colours: colours.size, hash: hash.toString(16), width: canvas.width };
    });
}

test("the graphical console of a real guest shows its screen, drawn and changing as it boots", async ({ page }) => {
  test.setTimeout(300_000);
  const imageDir = prepareRealHypervisor();
  await signIn(page);
  // The test guest, its kernel printing to the screen too (console=tty0), so that the screen shows the boot.
  const origin = new URL(page.url()).origin;
  const upload = async (file: string, image: Record<string, unknown>) => {
    const { id } = (await trpc(page.request, "images.create", image)) as { id: string };
    const response = await page.request.put(`/api/images/${id}/file`, {
      headers: { "content-type": "application/octet-stream", origin },
      data: readFileSync(path.join(imageDir, file)),
      timeout: 120_000,
    });
    expect(response.status()).toBe(200);
    return id;
  };
  const kernelId = await upload("vmlinuz", { name: "screen-kernel", kind: "kernel" });
  const ramdiskId = await upload("initrd.img", { name: "screen-initrd", kind: "ramdisk" });
  const imageId = await upload("disk.qcow2", {
    name: "screen-disk",
    kind: "disk",
    minRamMb: 128,
    kernelId,
    ramdiskId,
    osCommandLine: "console=tty0 console=ttyS0",
  });
  const [flavors, networks] = (await Promise.all(["catalog.flavors", "catalog.networks"].map((p) => trpc(page.request, p)))) as {
    id: string;
    name: string;
  }[][];
  const { instanceIds } = (await trpc(page.request, "instances.launch", {
    name: SCREEN,
    count: 1,
    imageId,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
    // After its boot messages, the screen still changes each second: a console opened once the
    // kernel is quiet (a busy host reports ACTIVE late) would otherwise see only the cursor blink.
    userData: '#!/bin/sh\ni=0\nwhile :; do i=$((i + 1)); echo "screen tick $i" > /dev/tty0; sleep 1; done\n',
  })) as { instanceIds: string[] };
  const id = instanceIds[0]!;
  // Whatever happens below, the guest does not outlive the test (its host's filters and sets with it).
  try {
    await watchTheScreen(page, id);
  } finally {
    await trpc(page.request, "instances.delete", { id });
  }
});

/** The instance page's graphical console of the booting guest `id`, until its delete takes the screen away. */
async function watchTheScreen(page: Page, id: string) {
  await page.goto(`/project/instances/${id}`);

  // Open it as soon as the guest runs, to watch it boot.
  const panel = page.getByRole("region", { name: "Graphical console" });
  const open = panel.getByRole("button", { name: `Open the graphical console of ${SCREEN}` });
  await expect(open).toBeEnabled({ timeout: 180_000 });
  await open.click();
  await expect(panel.getByRole("status")).toHaveText("Connected", { timeout: 30_000 });
  const screen = panel.getByRole("application", { name: `Screen of ${SCREEN}` });
  await expect(screen.locator("canvas")).toBeVisible();

  // The canvas is drawn (text on a screen: more than one colour), and it changes while the guest boots.
  const frames: Awaited<ReturnType<typeof screenPixels>>[] = [];
  await expect
    .poll(
      async () => {
        frames.push(await screenPixels(page, SCREEN));
        return new Set(frames.filter((f) => f.colours > 1).map((f) => f.hash)).size;
      },
      { timeout: 120_000, intervals: [250] },
    )
    .toBeGreaterThanOrEqual(3);
  expect(frames.at(-1)!.width).toBeGreaterThan(0);
  await expect(page.getByLabel("Serial console log")).toContainText("NIMBUS-GUEST booted", { timeout: 180_000 });
  expect((await screenPixels(page, SCREEN)).colours).toBeGreaterThan(1);

  // Every control of the open console has a name a screen reader can say (axe: nothing serious).
  const axe = await new AxeBuilder({ page }).include("main").analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  // Horizon's and Proxmox's controls: Ctrl+Alt+Del for the guest (not the browser's machine), and fullscreen.
  await panel.getByRole("button", { name: `Send Ctrl+Alt+Del to ${SCREEN}` }).click();
  await expect(panel.getByRole("status")).toHaveText("Connected");
  await panel.getByRole("button", { name: `Show the screen of ${SCREEN} fullscreen` }).click();
  await expect(page.getByRole("button", { name: "Leave fullscreen" })).toBeVisible();
  expect(await page.evaluate(() => document.fullscreenElement !== null)).toBe(true);
  await page.getByRole("button", { name: "Leave fullscreen" }).click();
  await expect(panel.getByRole("button", { name: `Show the screen of ${SCREEN} fullscreen` })).toBeVisible();

  // Deleting the instance takes its screen away, and the panel says why.
  await trpc(page.request, "instances.delete", { id });
  await expect(panel).toContainText("No screen: the instance is being deleted.");
  await expect
    .poll(async () => ((await trpc(page.request, "instances.list")) as { id: string }[]).some((i) => i.id === id), { timeout: 60_000 })
    .toBe(false);
}
