import { readdirSync, readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { E2E } from "../playwright.config";
import { signIn, trpc } from "./support";

/**
 * What the instance page says is true: of a build its host has not started, of a build that
 * found no host, and of the serial console of an instance that has no guest. Each test leaves
 * the cloud as it found it: the host enabled and answering, no instances.
 */

/** Launches one m1.tiny from blank-1g on shared-net through the API; returns its id. */
async function launch(page: Page, name: string): Promise<string> {
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((path) => trpc(page.request, path)),
  )) as { id: string; name: string }[][];
  const launched = (await trpc(page.request, "instances.launch", {
    name,
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  return launched.instanceIds[0]!;
}

/**
 * The processes of this run's compute agent (the one the Playwright config started for the
 * e2e host and this console), found by their environment: a test may pause and resume them.
 */
function agentProcesses(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const baseURL = test.info().project.use.baseURL;
      if (
        env.includes(`NIMBUS_HOSTNAME=${E2E.hostname}`) &&
        env.includes(`NIMBUS_SERVER_URL=${baseURL}`) &&
        cmdline.includes("compute-agent/src/main.ts")
      ) {
        pids.push(Number(entry));
      }
    } catch {
      // A process that ended meanwhile, or another user's.
    }
  }
  return pids;
}

// A safety net only: when a test fails half-way, put the cloud back so the next test starts clean.
test.afterEach(async ({ page }) => {
  for (const pid of agentProcesses()) process.kill(pid, "SIGCONT");
  const request = page.request;
  const instances = ((await trpc(request, "instances.list")) ?? []) as { id: string }[];
  for (const { id } of instances) await trpc(request, "instances.delete", { id });
  await expect.poll(async () => (((await trpc(request, "instances.list")) ?? []) as unknown[]).length).toBe(0);
  const hosts = ((await trpc(request, "hosts.list")) ?? []) as { id: string; enabled: boolean }[];
  for (const host of hosts.filter((h) => !h.enabled)) await trpc(request, "hosts.update", { id: host.id, enabled: true });
});

test("a build its host has not started says what it waits for, since when and what happens at the deadline", async ({ page }) => {
  await signIn(page);
  // The host's agent is paused: the spawn command reaches its socket, nothing answers.
  const agent = agentProcesses();
  expect(agent.length).toBeGreaterThan(0);
  for (const pid of agent) process.kill(pid, "SIGSTOP");
  const id = await launch(page, "e2e-waits");
  await page.goto(`/project/instances/${id}`);
  await expect(page.getByRole("heading", { name: "e2e-waits" })).toBeVisible();

  const wait = page.getByRole("region", { name: "Waiting for the host" });
  await expect(wait).toContainText(`Waiting for ${E2E.hostname} to acknowledge the build`);
  await expect(wait).toContainText(new RegExp(`The spawn command went to ${E2E.hostname} at \\d\\d:\\d\\d:\\d\\d.*? and is not acknowledged yet`));
  await expect(wait).toContainText(/If it makes no progress by \d\d:\d\d:\d\d.*? \(the 120 s build timeout\), the build stops in ERROR\./);
  await expect(wait).toContainText(
    `If ${E2E.hostname} stops answering for 30 s, the build is rescheduled on another host if one can take it (attempt 2 of 3).`,
  );
  await expect(page.getByRole("region", { name: "Serial console" })).toContainText(
    `No console: ${E2E.hostname} is simulated (libvirt's test driver), so there is no guest to print anything.`,
  );

  // The agent answers again: the build goes on, and the page stops saying it waits.
  for (const pid of agent) process.kill(pid, "SIGCONT");
  await expect(page.getByText("ACTIVE", { exact: true }).first()).toBeVisible({ timeout: 30_000 });
  await expect(wait).toBeHidden();
});

test("an ACTIVE instance on the simulated host: the serial console says there is no guest, not that it waits for one", async ({ page }) => {
  await signIn(page);
  const id = await launch(page, "e2e-simulated");
  await page.goto(`/project/instances/${id}`);
  await expect(page.getByText("ACTIVE", { exact: true }).first()).toBeVisible();
  const serial = page.getByRole("region", { name: "Serial console" });
  await expect(serial).toContainText("Simulated host");
  await expect(serial).toContainText(`No console: ${E2E.hostname} is simulated (libvirt's test driver), so there is no guest to print anything.`);
  await expect(serial).not.toContainText("Waiting for the guest");
  // Nor a screen: the graphical console says so, and offers nothing to open.
  const graphical = page.getByRole("region", { name: "Graphical console" });
  await expect(graphical).toContainText(`No screen: ${E2E.hostname} is simulated (libvirt's test driver), so its guests have no display to show.`);
  await expect(graphical.getByRole("button")).toHaveCount(0);
});

test("a build that found no host: no console to wait for, and no address held", async ({ page }) => {
  await signIn(page);
  const hosts = (await trpc(page.request, "hosts.list")) as { id: string; hostname: string }[];
  const host = hosts.find((h) => h.hostname === E2E.hostname)!;
  await trpc(page.request, "hosts.update", { id: host.id, enabled: false, disabledReason: "e2e: nowhere to go" });
  const id = await launch(page, "e2e-nowhere");
  await page.goto(`/project/instances/${id}`);
  await expect(page.getByRole("alert").filter({ hasText: "Fault" })).toContainText("No valid host was found. 1 host considered: 1 disabled.");
  const serial = page.getByRole("region", { name: "Serial console" });
  await expect(serial).toContainText("No console: the build failed before the guest started.");
  await expect(serial).not.toContainText("Waiting for the guest");
  const details = page.getByRole("region", { name: "Instance details" });
  await expect(details).toContainText(/IP address\s*—/i);
  await expect(details).toContainText(/MAC address\s*—/i);
});
