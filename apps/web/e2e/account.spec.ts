import { expect, test } from "@playwright/test";
import { signIn, signOut, trpc } from "./support";

/**
 * A user's own account: API tokens for scripts (the secret is shown once, works as a bearer
 * token, stops working when revoked) and a password change (checked in the form, then by the
 * server). The user is made for this spec, so the admin's password never changes.
 */

const USER = { name: "carol", first: "carol-first-password", second: "carol-second-password" };

test("a user creates an API token that works as a bearer token until revoked, and changes their password", async ({ page, request }) => {
  // The administrator makes carol a member of demo (through the API: the Users page has its own spec).
  await signIn(page);
  const projects = (await trpc(page.request, "projects.list")) as { id: string; name: string }[];
  const demo = projects.find((p) => p.name === "demo")!;
  await trpc(page.request, "users.create", { name: USER.name, email: null, password: USER.first, projectId: demo.id, role: "member" });
  await signOut(page);

  await signIn(page, USER.name, USER.first);
  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { name: "Account", exact: true })).toBeVisible();

  // A token: its secret is shown once, with a copy button and a warning.
  await page.getByRole("textbox", { name: "Token name" }).fill("ci-script");
  await page.getByRole("textbox", { name: "Lifetime (minutes)" }).fill("30");
  await page.getByRole("button", { name: "Create token" }).click();
  const created = page.getByRole("region", { name: "API token ci-script created" });
  await expect(created.getByRole("alert")).toContainText("won't be shown again");
  await expect(created.getByRole("button", { name: "Copy token" })).toBeVisible();
  const token = (await created.getByLabel("Token", { exact: true }).textContent())!.trim();
  expect(token).toMatch(/^nimbus_/);
  const row = page.getByRole("table", { name: "API tokens" }).getByRole("row", { name: /^ci-script / });
  await expect(row).toContainText("demo");
  await expect(row).toContainText("Active");

  // A script sends it as a bearer token and acts as carol (the request context has no session cookie).
  const bearer = { Authorization: `Bearer ${token}` };
  expect(await trpc(request, "auth.whoami", undefined, bearer)).toMatchObject({ userName: USER.name, projectName: "demo", role: "member" });

  await created.getByRole("button", { name: "I have copied it" }).click();
  await expect(created).toBeHidden();
  await expect(page.getByText(token)).toHaveCount(0);

  // Revoked, it stops working at once.
  await row.getByRole("button", { name: "Revoke token ci-script" }).click();
  const dialog = page.getByRole("dialog", { name: "Revoke token ci-script?" });
  await dialog.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toContainText("Revoked");
  await expect(row.getByRole("button", { name: "Revoke token ci-script" })).toHaveCount(0);
  expect(await trpc(request, "auth.whoami", undefined, bearer)).toBeNull();

  // The password: the confirmation is checked in the form, the current password by the server.
  const form = page.getByRole("region", { name: "Change password" });
  await form.getByRole("textbox", { name: "Current password", exact: true }).fill(USER.first);
  await form.getByRole("textbox", { name: "New password", exact: true }).fill(USER.second);
  await form.getByRole("textbox", { name: "Confirm new password", exact: true }).fill(`${USER.second}x`);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByText("The two new passwords do not match.")).toBeVisible();
  await form.getByRole("textbox", { name: "Current password", exact: true }).fill("not-my-password-at-all");
  await form.getByRole("textbox", { name: "Confirm new password", exact: true }).fill(USER.second);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByText("Not your current password.")).toBeVisible();
  await form.getByRole("textbox", { name: "Current password", exact: true }).fill(USER.first);
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toContainText("Password changed");
  await expect(form.getByRole("textbox", { name: "New password", exact: true })).toHaveValue("");
  await signOut(page);

  // The old password no longer signs in; the new one does.
  await page.getByLabel("User name").fill(USER.name);
  await page.getByLabel("Password").fill(USER.first);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Invalid user name or password.");
  await signIn(page, USER.name, USER.second);
});
