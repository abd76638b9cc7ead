import type { Role } from "../context";

const RANK: Record<Role, number> = { reader: 0, member: 1, admin: 2 };

/** Keystone's implied roles: admin ⊃ member ⊃ reader. */
export function roleImplies(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
}

export function strongestRole(roles: readonly Role[]): Role | null {
  return roles.reduce<Role | null>((best, r) => (best === null || RANK[r] > RANK[best] ? r : best), null);
}
