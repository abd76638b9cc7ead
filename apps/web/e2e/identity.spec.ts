import { expect, test, type Locator, type Page } from "@playwright/test";
import { openWizardAtFlavor, signIn, signOut } from "./support";

/**
 * Projects keep their users apart: an administrator creates two projects and three users
 * through the Identity pages; a member of one project does not see the other's instances, a
 * reader cannot launch (the API refuses even a direct call), and a vCPU quota set in the quota
 * editor takes the flavors that no longer fit out of the launch wizard, saying why.
 *
 * The tests run in order and build on each other; the last one deletes alice's instance, and a
 * safety net does it too when a test fails half-way, so the other specs find the host empty.
 */
test.describe.configure({ mode: "serial" });

const USERS = {
  alice: { password: "alice-e2e-password", project: "proj-a", role: "member" },
  bob: { password: "bob-e2e-password-1", project: "proj-b", role: "member" },
  rita: { password: "rita-e2e-password", project: "proj-a", role: "reader" },
} as const;
type UserName = keyof typeof USERS;
const INSTANCE = "alice-vm";

const signInAs = (page: Page, user: UserName) => signIn(page, user, USERS[user].password);

/** Picks `option` in the Mantine Select `select` (its options open in a portal at the page's end). */
async function choose(page: Page, select: Locator, option: string) {
  await select.click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

/** The header's project switcher. */
function projectSwitcher(page: Page) {
  return page.getByRole("banner").getByRole("combobox", { name: "Project", exact: true });
}

// A safety net only: when a test fails half-way, alice's instances go, so the other specs find the host empty.
test.afterAll(async ({ browser }) => {
  const baseURL = test.info().project.use.baseURL!;
  const context = await browser.newContext();
  const request = context.request;
  const call = async (path: string, input?: unknown) => {
    const response =
      input === undefined
        ? await request.get(`${baseURL}/api/trpc/${path}`)
        : await request.post(`${baseURL}/api/trpc/${path}`, { data: { json: input } });
    const body = (await response.json().catch(() => ({}))) as { result?: { data?: { json?: unknown } } };
    return body.result?.data?.json;
  };
  if ((await call("auth.signIn", { name: "alice", password: USERS.alice.password })) !== undefined) {
    const instances = ((await call("instances.list")) ?? []) as { id: string }[];
    for (const { id } of instances) await call("instances.delete", { id });
    await expect.poll(async () => (((await call("instances.list")) ?? []) as unknown[]).length, { timeout: 30_000 }).toBe(0);
  }
  await context.close();
});

test("an administrator creates projects and users; each member sees only their own project's instances", async ({ page }) => {
  await signIn(page);

  // Two projects, through the Projects page.
  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Projects", exact: true })).toBeVisible();
  const projectForm = page.getByRole("form", { name: "Create a project" });
  for (const name of ["proj-a", "proj-b"]) {
    await projectForm.getByRole("textbox", { name: "Project name" }).fill(name);
    await projectForm.getByRole("textbox", { name: "Description" }).fill(`e2e ${name}`);
    await projectForm.getByRole("button", { name: "Create project" }).click();
    await expect(page.getByRole("table", { name: "Projects" }).getByRole("row", { name: new RegExp(`^${name} `) })).toBeVisible();
  }
  // A name that is taken is refused next to the field.
  await projectForm.getByRole("textbox", { name: "Project name" }).fill("proj-a");
  await projectForm.getByRole("button", { name: "Create project" }).click();
  await expect(projectForm.getByText("This name is taken.")).toBeVisible();

  // Three users, through the Users page: alice and rita in proj-a, bob in proj-b.
  await page.getByRole("link", { name: "Users", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
  const userForm = page.getByRole("form", { name: "Create a user" });
  for (const name of Object.keys(USERS) as UserName[]) {
    const user = USERS[name];
    await userForm.getByRole("textbox", { name: "User name" }).fill(name);
    await userForm.getByRole("textbox", { name: "Email" }).fill(`${name}@example.test`);
    await userForm.getByLabel("Initial password").fill(user.password);
    await choose(page, userForm.getByRole("combobox", { name: "Project", exact: true }), user.project);
    await choose(page, userForm.getByRole("combobox", { name: "Role", exact: true }), user.role);
    await userForm.getByRole("button", { name: "Create user" }).click();
    const row = page
      .getByRole("table", { name: "Users" })
      .getByRole("row")
      .filter({ has: page.getByText(name, { exact: true }) });
    await expect(row).toContainText(`${user.project}: ${user.role}`);
    await expect(row.getByRole("switch", { name: `Enabled for ${name}` })).toBeChecked();
  }
  await signOut(page);

  // alice launches in proj-a, and watches the action log fill in as the build goes.
  await signInAs(page, "alice");
  await expect(projectSwitcher(page)).toHaveValue("proj-a (member)");
  await openWizardAtFlavor(page, { name: INSTANCE });
  await page.getByRole("radio", { name: "Select flavor m1.tiny" }).check();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByRole("radio", { name: /Select network shared-net/ }).check();
  await page.getByRole("button", { name: "Launch instance" }).click();
  await expect(page.getByRole("heading", { name: INSTANCE })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Action log" })).toBeVisible();
  const events = page.getByRole("table", { name: /^Events of the create action/ });
  await expect(events.getByRole("row", { name: /^Scheduling/ })).toBeVisible();
  await expect(events.getByRole("row", { name: /^(Active|Error)/ })).toBeVisible();
  await expect(page.getByRole("table", { name: "Action log" }).getByRole("row", { name: /^Create / })).toContainText(/Success|Error/);
  await signOut(page);

  // bob, in proj-b, does not see it.
  await signInAs(page, "bob");
  await expect(projectSwitcher(page)).toHaveValue("proj-b (member)");
  await expect(page.getByText("No instances yet.")).toBeVisible();
  await expect(page.getByRole("link", { name: INSTANCE })).toHaveCount(0);
});

test("a reader sees the project's instances but cannot launch, not even by calling the API", async ({ page }) => {
  await signInAs(page, "rita");
  await expect(projectSwitcher(page)).toHaveValue("proj-a (reader)");
  await expect(page.getByRole("link", { name: INSTANCE })).toBeVisible();
  await expect(page.getByRole("button", { name: "Launch instance" })).toHaveCount(0);

  const refusal = await page.evaluate(async () => {
    const first = async (path: string) => {
      const response = await fetch(`/api/trpc/${path}`);
      const body = (await response.json()) as { result: { data: { json: { id: string }[] } } };
      return body.result.data.json[0]!.id;
    };
    const launch = {
      name: "rita-vm",
      count: 1,
      imageId: await first("catalog.images"),
      flavorId: await first("catalog.flavors"),
      networkId: await first("catalog.networks"),
    };
    const response = await fetch("/api/trpc/instances.launch", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: launch }),
    });
    return { status: response.status, body: await response.text() };
  });
  expect(refusal.status).toBe(403);
  expect(refusal.body).toContain("does not allow that");

  // Nothing was created.
  await page.reload();
  await expect(page.getByRole("table").getByRole("row")).toHaveCount(2);
});

test("a vCPU quota set by the administrator takes the flavors that do not fit out of the wizard", async ({ page }) => {
  await signIn(page);

  // A cloud admin may look into any project: switching shows proj-a's instance, switching back hides it.
  await choose(page, projectSwitcher(page), "proj-a (admin)");
  await expect(projectSwitcher(page)).toHaveValue("proj-a (admin)");
  await expect(page.getByText("Virtual machines of project proj-a.")).toBeVisible();
  await expect(page.getByRole("link", { name: INSTANCE })).toBeVisible();
  await choose(page, projectSwitcher(page), "demo (admin)");
  await expect(page.getByText("Virtual machines of project demo.")).toBeVisible();
  await expect(page.getByText("No instances yet.")).toBeVisible();

  await page.getByRole("link", { name: "Projects", exact: true }).click();
  await page.getByRole("button", { name: "Edit quotas of proj-a" }).click();
  let dialog = page.getByRole("dialog", { name: "Quotas of proj-a" });
  const vcpus = dialog.getByRole("textbox", { name: "vCPUs", exact: true });
  await expect(vcpus).toHaveValue("20");
  // Seven of Nova's and Cinder's limits and Glance's three image quotas, each with its own field.
  await expect(dialog.getByText("-1 means unlimited")).toHaveCount(10);
  await expect(dialog.getByLabel("vCPUs in use")).toHaveText("In use: 1");
  await expect(dialog.getByLabel("Volumes in use")).toHaveText("In use: 0");
  await expect(dialog.getByLabel("Key pairs in use")).toHaveText("In use: counted per user, not per project");
  await vcpus.fill("1");
  await dialog.getByRole("button", { name: "Save quotas" }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole("button", { name: "Edit quotas of proj-a" }).click();
  dialog = page.getByRole("dialog", { name: "Quotas of proj-a" });
  await expect(dialog.getByRole("textbox", { name: "vCPUs", exact: true })).toHaveValue("1");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await signOut(page);

  // alice uses her one vCPU already: no flavor fits, and each says why.
  await signInAs(page, "alice");
  await openWizardAtFlavor(page, { name: "alice-vm-2" });
  await expect(page.getByRole("region", { name: "Quota impact" })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Quota impact chart/ })).toBeVisible();
  await expect(page.getByRole("img", { name: /^Quota impact chart/ })).toHaveAccessibleName(/vCPUs: 1 vCPU used/);
  const medium = page.getByRole("radio", { name: "Select flavor m1.medium" });
  await expect(medium).toBeDisabled();
  await expect(medium).toHaveAccessibleDescription("Exceeds your vCPU quota: needs 2, 0 free");
  await expect(page.getByRole("row", { name: /m1\.medium/ })).toContainText("Exceeds your vCPU quota");
  await page.getByRole("button", { name: "Next" }).click();
  await expect(page.getByText("Choose a flavor.")).toBeVisible();

  // Clean up: alice deletes her instance.
  await page.getByRole("link", { name: "Cancel" }).click();
  await page.getByRole("button", { name: `Delete ${INSTANCE}` }).click();
  await page
    .getByRole("dialog", { name: `Delete ${INSTANCE}?` })
    .getByRole("button", { name: "Confirm delete" })
    .click();
  await expect(page.getByText("No instances yet.")).toBeVisible();
});
