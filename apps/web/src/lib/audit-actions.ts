/**
 * The actions the audit trail records (packages/core: every `audit(...)` call), with the words
 * the audit page uses for them. An action missing here still shows, under its code.
 */
export const AUDIT_ACTIONS: Readonly<Record<string, string>> = {
  "auth.sign_in": "Sign in",
  "auth.sign_out": "Sign out",
  "user.create": "Create user",
  "user.enable": "Enable user",
  "user.disable": "Disable user",
  "user.unlock": "Unlock user",
  "user.change_password": "Change password",
  "project.create": "Create project",
  "role.assign": "Assign role",
  "role.remove": "Remove role",
  "quota.set": "Set quotas",
  "token.create": "Create API token",
  "token.revoke": "Revoke API token",
  "instance.launch": "Launch instances",
  "instance.delete": "Delete instance",
  "instance.remote_console": "Open graphical console",
  "keypair.create": "Create key pair",
  "keypair.import": "Import key pair",
  "keypair.delete": "Delete key pair",
  "volume.create": "Create volume",
  "volume.delete": "Delete volume",
  "agent.join_token": "Create agent join token",
  "agent.enroll": "Enrol compute agent",
  "agent.revoke": "Revoke compute agent",
  "host.enable": "Enable host",
  "host.disable": "Disable host",
};

export function auditActionLabel(action: string): string {
  return AUDIT_ACTIONS[action] ?? action;
}
