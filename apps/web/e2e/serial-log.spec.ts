import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { Socket } from "socket.io-client";
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Locator, type Page } from "@playwright/test";
import { consoleServer, E2E } from "../playwright.config";
import { protocolPeer, reportSender } from "../test/harness";
import { signIn, trpc } from "./support";

/**
 * The serial console log on the instance page: "Follow output" keeps the newest output in view
 * as it arrives, scrolling up to read turns it off, and "Download log" saves the whole log,
 * more than the page keeps. In a cloud of its own (its console on E2E_PORT + 10, data dir
 * E2E_DATA_DIR-serial-log): its only host is a protocol peer on the qemu hypervisor type that
 * builds the instance and prints the console output this test makes it print, so the other
 * browser tests keep their one simulated host (which prints nothing).
 */

const PORT = Number(process.env.E2E_SERIAL_LOG_PORT ?? Number(process.env.E2E_PORT ?? 3100) + 10);
const BASE_URL = `http://127.0.0.1:${PORT}`;
const DATA_DIR = `${process.env.E2E_DATA_DIR ?? "/tmp/nimbus-e2e"}-serial-log`;
const NAME = "e2e-log";

test.use({ baseURL: BASE_URL });

let server: ChildProcess | undefined;
let peer: Socket | undefined;
/** The console text the guest has "printed" so far, and where the next chunk goes. */
let printed = "";

test.beforeAll(async () => {
  test.setTimeout(180_000);
  const { command, url } = consoleServer(PORT, DATA_DIR);
  // Its own process group, so that the whole of it (npx, tsx, node) ends with it.
  server = spawn("bash", ["-c", command], { cwd: process.cwd(), detached: true, stdio: "ignore" });
  await expect.poll(async () => (await fetch(url).catch(() => null))?.status ?? 0, { timeout: 150_000, intervals: [500] }).toBe(200);
  peer = await protocolPeer(BASE_URL, "e2e-log-host", { hypervisorType: "qemu", heartbeat: true, secret: E2E.agentSecret });
  const reports = reportSender(peer);
  const report = (instanceId: string, commandId: string, seq: number, phase: string) =>
    reports.report({ instanceId, commandId, seq, phase, powerState: phase === "active" ? "running" : "nostate", at: new Date().toISOString() });
  peer.on("instance.spawn", (command: { commandId: string; instance: { id: string } }, ack: (r: unknown) => void) => {
    ack({ ok: true });
    void (async () => {
      for (const [seq, phase] of ["networking", "block_device_mapping", "spawning", "active"].entries())
        await report(command.instance.id, command.commandId, seq, phase);
    })();
  });
  peer.on("instance.destroy", (command: { commandId: string; instanceId: string }, ack: (r: unknown) => void) => {
    ack({ ok: true });
    void report(command.instanceId, command.commandId, 100, "deleted");
  });
});

test.afterAll(async () => {
  peer?.close();
  if (server?.pid) process.kill(-server.pid, "SIGTERM");
});

/** The guest prints `lines` numbered lines, `perChunk` to a chunk, as an agent streams its console. */
async function print(instanceId: string, from: number, lines: number, perChunk = 20) {
  for (let n = from; n < from + lines; n += perChunk) {
    const data = Array.from(
      { length: Math.min(perChunk, from + lines - n) },
      (_, i) => `guest line ${String(n + i).padStart(5, "0")} ${"·".repeat(40)}\n`,
    ).join("");
    const ack = (await peer!.timeout(5000).emitWithAck("instance.console", { instanceId, offset: Buffer.byteLength(printed), data })) as {
      ok: boolean;
    };
    expect(ack).toEqual({ ok: true });
    printed += data;
  }
}

/** The scrolling box around the log, and whether it shows the end. */
function scroller(log: Locator) {
  return {
    atEnd: () =>
      log.evaluate((pre) => {
        let el: HTMLElement | null = pre.parentElement;
        while (el && el.scrollHeight <= el.clientHeight) el = el.parentElement;
        return el !== null && el.scrollHeight - el.scrollTop - el.clientHeight <= 8;
      }),
    top: () =>
      log.evaluate((pre) => {
        let el: HTMLElement | null = pre.parentElement;
        while (el && el.scrollHeight <= el.clientHeight) el = el.parentElement;
        return el?.scrollTop ?? -1;
      }),
  };
}

/** The instance's status as the API says it (a query with input: GET with `?input=`). */
async function statusOf(page: Page, id: string): Promise<string | undefined> {
  const response = await page.request.get(`/api/trpc/instances.get?input=${encodeURIComponent(JSON.stringify({ json: { id } }))}`);
  const body = (await response.json()) as { result?: { data?: { json?: { instance?: { status?: string } } } } };
  return body.result?.data?.json?.instance?.status;
}

async function launch(page: Page): Promise<string> {
  const [images, flavors, networks] = (await Promise.all(
    ["catalog.images", "catalog.flavors", "catalog.networks"].map((p) => trpc(page.request, p)),
  )) as {
    id: string;
    name: string;
  }[][];
  const { instanceIds } = (await trpc(page.request, "instances.launch", {
    name: NAME,
    count: 1,
    imageId: images!.find((i) => i.name === "blank-1g")!.id,
    flavorId: flavors!.find((f) => f.name === "m1.tiny")!.id,
    networkId: networks!.find((n) => n.name === "shared-net")!.id,
  })) as { instanceIds: string[] };
  return instanceIds[0]!;
}

test("the serial log follows new output until the reader scrolls up, and downloads whole", async ({ page }) => {
  await signIn(page);
  const id = await launch(page);
  await page.goto(`/project/instances/${id}`);
  await expect(page.getByRole("heading", { name: NAME })).toBeVisible();
  await expect.poll(() => statusOf(page, id), { timeout: 30_000 }).toBe("ACTIVE");

  // 300 lines arrive live, one chunk each (more chunks than the page loads at once); following, the log shows the newest.
  await print(id, 1, 300, 1);
  const panel = page.getByRole("region", { name: "Serial console" });
  const log = panel.getByRole("log", { name: "Serial console log" });
  const follow = panel.getByRole("switch", { name: "Follow output" });
  await expect(log).toContainText("guest line 00300");
  await expect(follow).toBeChecked();
  const view = scroller(log);
  await expect.poll(view.atEnd).toBe(true);

  // More output: still at the end.
  await print(id, 301, 40);
  await expect(log).toContainText("guest line 00340");
  await expect.poll(view.atEnd).toBe(true);

  // The reader scrolls up to read: following stops, and new output no longer moves the log.
  await log.hover();
  await page.mouse.wheel(0, -600);
  await expect(follow).not.toBeChecked();
  const reading = await view.top();
  expect(await view.atEnd()).toBe(false);
  await print(id, 341, 40);
  await expect(log).toContainText("guest line 00380");
  expect(await view.top()).toBe(reading);
  expect(await view.atEnd()).toBe(false);

  // Following again: straight to the end, and it stays there.
  await follow.check();
  await expect.poll(view.atEnd).toBe(true);
  await print(id, 381, 20);
  await expect(log).toContainText("guest line 00400");
  await expect.poll(view.atEnd).toBe(true);

  // Scrolling up and back down to the end follows again too.
  await log.hover();
  await page.mouse.wheel(0, -600);
  await expect(follow).not.toBeChecked();
  await page.mouse.wheel(0, 100_000);
  await expect(follow).toBeChecked();

  // Every control has a name (axe: nothing serious on the page).
  const axe = await new AxeBuilder({ page }).include("main").analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  // The download is the whole log, as the guest printed it: a reload shows only the newest part.
  await page.reload();
  await expect(log).toContainText("guest line 00400");
  await expect(log).not.toContainText("guest line 00001 ");
  const downloading = page.waitForEvent("download");
  await panel.getByRole("link", { name: "Download log" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`${NAME}-console.log`);
  expect(await readFile((await download.path())!, "utf8")).toBe(printed);

  await trpc(page.request, "instances.delete", { id });
});
