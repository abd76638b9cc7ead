import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E } from "../playwright.config";
import { signIn } from "./support";

/**
 * The console and the stock `openstack` CLI are two doors to one cloud: what one does, the other
 * sees, live. The CLI is Debian's python3-openstackclient, pointed at this console's Keystone.
 */
function openstack(baseURL: string, args: string[]): Promise<string> {
  const env = {
    NODE_ENV: "test" as const,
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: mkdtempSync(path.join(tmpdir(), "nimbus-e2e-osc-")),
    OS_AUTH_URL: `${baseURL}/identity/v3`,
    OS_IDENTITY_API_VERSION: "3",
    OS_USERNAME: "admin",
    OS_PASSWORD: E2E.adminPassword,
    // The project the console shows after sign-in (the admin's default).
    OS_PROJECT_NAME: "demo",
    OS_USER_DOMAIN_NAME: "Default",
    OS_PROJECT_DOMAIN_NAME: "Default",
  };
  return new Promise((resolve, reject) => {
    execFile("openstack", args, { env, timeout: 60_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`openstack ${args.join(" ")}: ${stderr}`)) : resolve(stdout),
    );
  });
}

test("a server created with the CLI appears in the console live, and one deleted in the console leaves the CLI's list", async ({ page, baseURL }) => {
  await signIn(page);
  await page.getByRole("link", { name: "Instances", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Instances" })).toBeVisible();

  // The CLI resolves image, flavor and network by name through Glance, Nova and Neutron.
  const created = JSON.parse(
    await openstack(baseURL!, [
      "server",
      "create",
      "--image",
      "blank-1g",
      "--flavor",
      "m1.tiny",
      "--network",
      "shared-net",
      "cli-made",
      "-f",
      "json",
    ]),
  ) as { id: string };

  // No reload: the row arrives with the push, and its status follows the build to Active.
  const row = page.getByRole("row", { name: /cli-made/ });
  await expect(row).toBeVisible();
  await expect(row).toContainText(/Active/i, { timeout: 30_000 });
  await row.getByRole("link", { name: "cli-made" }).click();
  await expect(page.getByRole("heading", { name: "cli-made" })).toBeVisible();
  for (const phase of ["Scheduling", "Networking", "Spawning", "Active"]) {
    await expect(page.getByText(phase, { exact: true }).first()).toBeVisible();
  }

  const shown = JSON.parse(await openstack(baseURL!, ["server", "show", created.id, "-f", "json"])) as { status: string; name: string };
  expect(shown).toMatchObject({ name: "cli-made", status: "ACTIVE" });

  await page.getByRole("button", { name: "Delete instance" }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("Instance cli-made deleted.")).toBeVisible();
  await expect
    .poll(async () => (JSON.parse(await openstack(baseURL!, ["server", "list", "-f", "json"])) as { Name: string }[]).map((s) => s.Name), {
      timeout: 30_000,
    })
    .not.toContain("cli-made");
});
