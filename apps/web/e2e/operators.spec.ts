import { expect, test } from "@playwright/test";
import { signIn } from "./support";

/**
 * The operator's agent access: a join token enrols one host once and is then spent; revoking
 * the host credential it bought cuts the host off; the audit trail records each step. The host
 * enrolled here is a name only (no agent runs for it), so the e2e host is never touched.
 */

const SPARE = "spare-node";

test("a join token enrols a host once, revoking its credential cuts it off, and the audit trail says who did it", async ({
  page,
  request,
  baseURL,
}) => {
  await signIn(page);
  await page.getByRole("link", { name: "Compute agents" }).click();
  await expect(page.getByRole("heading", { name: "Compute agents" })).toBeVisible();

  // A token lives at most an hour.
  const form = page.getByRole("form", { name: "Create a join token" });
  await form.getByRole("textbox", { name: "Host name" }).fill(SPARE);
  await form.getByRole("textbox", { name: "Valid for (minutes)" }).fill("61");
  await form.getByRole("button", { name: "Create join token" }).click();
  await expect(form.getByText("A join token lives at most 60 minutes.")).toBeVisible();
  await form.getByRole("textbox", { name: "Valid for (minutes)" }).fill("15");
  await form.getByRole("button", { name: "Create join token" }).click();

  // Shown once, with the command that enrols the agent.
  const created = page.getByRole("region", { name: `Join token for ${SPARE} created` });
  await expect(created.getByRole("alert")).toContainText("won't be shown again");
  await expect(created.getByRole("button", { name: "Copy token" })).toBeVisible();
  const token = (await created.getByLabel("Join token", { exact: true }).textContent())!.trim();
  expect(token).toMatch(/^nimbus-join_/);
  await expect(created.getByLabel("Enrolment command", { exact: true })).toHaveText(
    `NIMBUS_SERVER_URL=${baseURL} NIMBUS_JOIN_TOKEN=${token} NIMBUS_HOSTNAME=${SPARE} npm start -w @nimbus/compute-agent`,
  );
  const tokenRow = page.getByRole("table", { name: "Join tokens" }).getByRole("row", { name: new RegExp(`^${SPARE} `) });
  await expect(tokenRow).toContainText("Unused");

  // The agent's side of enrolment: the token buys a credential once, and only for its host.
  const enrol = (hostname: string) => request.post("/api/agent/enroll", { data: { joinToken: token, hostname } });
  expect((await enrol("other-node")).status()).toBe(403);
  const enrolled = await enrol(SPARE);
  expect(enrolled.status()).toBe(200);
  expect(await enrolled.json()).toMatchObject({ hostname: SPARE });
  expect((await enrol(SPARE)).status()).toBe(401);

  await page.reload();
  await expect(tokenRow).toContainText(`${SPARE}`);
  await expect(tokenRow).not.toContainText("Unused");
  const credentialRow = page.getByRole("table", { name: "Host credentials" }).getByRole("row", { name: new RegExp(`^${SPARE} `) });
  await expect(credentialRow).toContainText("Active");

  // Revoking asks first, and says what it does.
  await credentialRow.getByRole("button", { name: `Revoke ${SPARE}` }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke ${SPARE}?` });
  await expect(dialog).toContainText("cuts the agent of spare-node off at once");
  await dialog.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(dialog).toBeHidden();
  await expect(credentialRow).toContainText("Revoked");
  await expect(credentialRow.getByRole("button", { name: `Revoke ${SPARE}` })).toHaveCount(0);

  // The audit trail, filtered by action, names who revoked what; paging ends at the oldest event.
  await page.getByRole("link", { name: "Audit trail" }).click();
  await expect(page.getByRole("heading", { name: "Audit trail" })).toBeVisible();
  const events = page.getByRole("table", { name: "Audit events" });
  await page.getByRole("combobox", { name: "Action", exact: true }).click();
  await page.getByRole("option", { name: "Revoke compute agent (agent.revoke)" }).click();
  await expect(events.getByRole("row")).toHaveCount(2);
  const revoked = events.getByRole("row").nth(1);
  await expect(revoked).toContainText("admin");
  await expect(revoked).toContainText(`host ${SPARE}`);
  await expect(revoked).toContainText("success");
  await page.getByRole("button", { name: "Load older" }).click();
  await expect(page.getByText("That is the oldest event of this action.")).toBeVisible();
  await expect(events.getByRole("row")).toHaveCount(2);

  await page.getByRole("combobox", { name: "Action", exact: true }).click();
  await page.getByRole("option", { name: "Enrol compute agent (agent.enroll)" }).click();
  await expect(events.getByRole("row").nth(1)).toContainText(`agent:${SPARE}`);
});
