import type { MantineColor } from "@mantine/core";
import type { Role } from "@nimbus/core/policy";

/** Keystone's roles (core's Role), weakest first: admin ⊃ member ⊃ reader. */
export const ROLES = ["reader", "member", "admin"] as const satisfies readonly Role[];
export type RoleName = Role;

const ROLE_SPEC: Record<RoleName, { label: string; description: string; color: MantineColor }> = {
  reader: { label: "Reader", description: "Sees the project's instances and quota; changes nothing.", color: "gray" },
  member: { label: "Member", description: "Launches and deletes instances and server groups.", color: "blue" },
  admin: { label: "Admin", description: "Cloud administrator: every project, hosts and identity.", color: "red" },
};

export function isRoleName(value: string): value is RoleName {
  return (ROLES as readonly string[]).includes(value);
}

export function roleSpec(role: string) {
  return isRoleName(role) ? ROLE_SPEC[role] : { label: role, description: "", color: "gray" as MantineColor };
}

/** Select options for a role picker, in the role names the rest of the console shows ("proj-a (member)"). */
export const ROLE_OPTIONS = ROLES.map((role) => ({ value: role, label: role }));
