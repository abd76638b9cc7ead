import { expect, test } from "@playwright/test";
import { openHostInventory, openWizardAtFlavor, signIn } from "./support";

test("sign in, launch through the wizard, watch the phases arrive live, see the host fill and empty", async ({ page }) => {
  const socketFrames: string[] = [];
  page.on("websocket", (ws) => ws.on("framereceived", ({ payload }) => socketFrames.push(String(payload))));

  await signIn(page);

  const row = await openHostInventory(page);
  await expect(row).toContainText(/ 0 \/ \d+ vCPUs/);
  const capacity = (await row.textContent())!.match(/0 \/ (\d+) vCPUs/)![1];
  // The operator also sees how this web server admits launches.
  await expect(page.getByRole("region", { name: "Launch admission on this web server" })).toContainText(/0 running, 0 waiting; up to \d+ at once/);

  await page.getByRole("link", { name: "Instances" }).click();
  await page.getByRole("button", { name: "Launch instance" }).click();

  // Details: a bad name is refused next to the field, and nothing is lost.
  await page.getByLabel("Instance name").fill("bad name!");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText(/use only letters, digits/i)).toBeVisible();
  await page.getByLabel("Instance name").fill("e2e-vm");
  await page.getByRole("button", { name: "Next" }).click();

  await page.getByRole("radio", { name: /Select image blank-1g/ }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  await page.getByRole("button", { name: "Launch instance" }).click();

  // The progress view: every phase appears, then ACTIVE.
  await expect(page.getByRole("heading", { name: "e2e-vm" })).toBeVisible();
  for (const phase of ["Scheduling", "Networking", "Block device mapping", "Spawning", "Active"]) {
    await expect(page.getByText(phase, { exact: true }).first()).toBeVisible();
  }
  await expect(page.getByText("ACTIVE", { exact: true }).first()).toBeVisible();
  await expect(page.getByRole("progressbar", { name: "Build progress" })).toBeVisible();
  // ...and they were pushed over socket.io, not polled.
  expect(socketFrames.some((f) => f.includes('"instance.updates"') && f.includes('"spawning"'))).toBe(true);

  await expect(await openHostInventory(page)).toContainText(`1 / ${capacity} vCPUs`);

  await page.getByRole("link", { name: "Instances" }).click();
  await page.getByRole("link", { name: "e2e-vm" }).click();
  await page.getByRole("button", { name: "Delete instance" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No instances yet.")).toBeVisible();
  await expect(page.getByText("Instance e2e-vm deleted.")).toBeVisible();

  await expect(await openHostInventory(page)).toContainText(`0 / ${capacity} vCPUs`);
});

test("the progress view reaches ACTIVE by itself when the live pushes are lost", async ({ page }) => {
  // Every instance.updates frame the server sends is dropped before the page sees it: a push
  // missed for any reason (sent before the page listened, say) must not leave it stuck.
  let dropped = 0;
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    const server = ws.connectToServer();
    server.onMessage((message) => {
      if (typeof message === "string" && message.includes('"instance.updates"')) dropped++;
      else ws.send(message);
    });
  });
  await signIn(page);
  await openWizardAtFlavor(page, { name: "e2e-unpushed" });
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  await page.getByRole("button", { name: "Launch instance" }).click();

  await expect(page.getByRole("heading", { name: "e2e-unpushed" })).toBeVisible();
  await expect(page.getByText("ACTIVE", { exact: true }).first()).toBeVisible({ timeout: 15_000 });
  await expect(page.getByText("Active", { exact: true }).first()).toBeVisible();
  expect(dropped).toBeGreaterThan(0);

  await page.getByRole("button", { name: "Delete instance" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No instances yet.")).toBeVisible();
});

test("a wrong password is refused with a clear message", async ({ page }) => {
  await page.goto("/login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid user name or password.");
});
