/**
 * Who may do what (Nova's `nova/policy.py` and Keystone's roles): the roles, the principal a
 * call is made as, and one table with a rule for every procedure, socket.io event and plain
 * HTTP route. Every verb in core starts with `authorize`; nothing else decides access.
 */
import { NimbusError } from "./errors";

export type Role = "reader" | "member" | "admin";

/** Who is calling, resolved from a session or token by the web layer. */
export interface Principal {
  userId: string;
  userName: string;
  /** The project the caller is scoped to. */
  projectId: string;
  projectName: string;
  /** Effective role in that project (after implication: admin ⊃ member ⊃ reader). */
  role: Role;
  /** Admin anywhere is admin cloud-wide, as with Keystone's admin role. */
  isAdmin: boolean;
  /** What the caller authenticated with: a browser session, or a script's API token. */
  via: "session" | "api_token";
}

const RANK: Record<Role, number> = { reader: 0, member: 1, admin: 2 };

/** Keystone's implied roles: admin ⊃ member ⊃ reader. */
export function roleImplies(held: Role, required: Role): boolean {
  return RANK[held] >= RANK[required];
}

export function strongestRole(roles: readonly Role[]): Role | null {
  return roles.reduce<Role | null>((best, r) => (best === null || RANK[r] > RANK[best] ? r : best), null);
}

/**
 * A rule says who may call: anyone, any signed-in user, a signed-in user in a browser session
 * (not with an API token), a role in the scoped project, or a cloud admin. Every tRPC procedure
 * and socket.io event has exactly one entry in `POLICY`.
 */
export type Rule = "public" | "authenticated" | "session" | `project:${Role}` | "cloud_admin" | "agent";

export const POLICY = {
  // identity
  "auth.signIn": "public",
  "auth.signOut": "authenticated",
  "auth.whoami": "public",
  "auth.projects": "authenticated",
  "auth.switchProject": "authenticated",
  "auth.changePassword": "authenticated",
  "tokens.list": "authenticated",
  // As Keystone's restricted application credentials: a token never mints another credential
  // (one that could outlive it); tokens are made by a user in the console.
  "tokens.create": "session",
  "tokens.revoke": "authenticated",
  // catalog
  "catalog.flavors": "project:reader",
  "catalog.images": "project:reader",
  "catalog.networks": "project:reader",
  "catalog.availabilityZones": "project:reader",
  /** Whether any enabled, up host could take each flavor now: counts and reasons, never host names. */
  "catalog.flavorAvailability": "project:reader",
  // flavors (Nova's flavors, flavor-manage, extra specs and flavor access)
  /** Flavors as Nova lists them: public ones and those offered to the project; admins choose public, private or all. */
  "flavors.list": "project:reader",
  "flavors.get": "project:reader",
  "flavors.create": "cloud_admin",
  "flavors.update": "cloud_admin",
  "flavors.setProperties": "cloud_admin",
  "flavors.delete": "cloud_admin",
  "flavors.access": "cloud_admin",
  "flavors.addAccess": "cloud_admin",
  "flavors.removeAccess": "cloud_admin",
  /** The compute availability zones and whether each has an enabled host (Nova's os-availability-zone). */
  "availabilityZones.list": "project:reader",
  // compute
  "instances.list": "project:reader",
  "instances.page": "project:reader",
  "instances.get": "project:reader",
  /**
   * The operator's view of instances (Nova's all_tenants and os-extended-server-attributes):
   * every project's instances, deleted ones, which host each is on, and a fault's details.
   */
  "instances.allProjects": "cloud_admin",
  // nova-manage db archive_deleted_rows, and reading what it archived: the operator's.
  "archive.run": "cloud_admin",
  "archive.list": "cloud_admin",
  "instances.launch": "project:member",
  "instances.delete": "project:member",
  // The lifecycle actions (Nova's os_compute_api:servers:start/stop/reboot, os-pause-server,
  // os-suspend-server): members on their project's instances, admins on any.
  "instances.stop": "project:member",
  "instances.start": "project:member",
  "instances.reboot": "project:member",
  "instances.pause": "project:member",
  "instances.unpause": "project:member",
  "instances.suspend": "project:member",
  "instances.resume": "project:member",
  /** Nova's createImage (os_compute_api:servers:create_image): a snapshot into a new image of the project. */
  "instances.snapshot": "project:member",
  /** Attach or detach a volume to an instance that is already built: checked, then refused (volumes attach at launch only). */
  "instances.attachVolume": "project:member",
  "instances.detachVolume": "project:member",
  // The moves: resize and its confirm / revert are the project's (Nova's os_compute_api:servers:resize,
  // confirm_resize, revert_resize); cold migration and evacuation are the operators' (os-migrate-server,
  // os-evacuate).
  "instances.resize": "project:member",
  "instances.confirmResize": "project:member",
  "instances.revertResize": "project:member",
  "instances.migrate": "cloud_admin",
  "instances.evacuate": "cloud_admin",
  "instances.liveMigrate": "cloud_admin",
  /** Nova's rebuild (os_compute_api:servers:rebuild): members on their project's instances, admins on any. */
  "instances.rebuild": "project:member",
  /** Nova's os-migrations: every resize, migration and evacuation (os_compute_api:os-migrations:index). */
  "migrations.list": "cloud_admin",
  "instances.console": "project:reader",
  /**
   * A graphical console (Nova's `os_compute_api:os-remote-consoles`: project member or admin; it
   * types into the guest). Asked again of the credential that asked for the console when the
   * proxy exchanges its token and while the console is open.
   */
  "instances.remoteConsole": "project:member",
  "quota.usage": "project:reader",
  // images (Glance)
  "images.list": "project:reader",
  "images.page": "project:reader",
  "images.get": "project:reader",
  "images.create": "project:member",
  "images.update": "project:member",
  "images.delete": "project:member",
  "images.addMember": "project:member",
  "images.removeMember": "project:member",
  /** The member side of a share: images offered to the caller's project, and its answer to each. */
  "images.shares": "project:reader",
  "images.updateMember": "project:member",
  // networks (Neutron)
  "networks.list": "project:reader",
  "networks.page": "project:reader",
  "networks.get": "project:reader",
  "networks.create": "project:member",
  "networks.delete": "project:member",
  "subnets.create": "project:member",
  "subnets.delete": "project:member",
  "ports.list": "project:reader",
  "ports.page": "project:reader",
  "ports.get": "project:reader",
  /** How many networks, subnets, ports, groups and rules a project has (its own; a cloud admin any project's). */
  "networks.usage": "project:reader",
  /** The project's networks, routers and instances as one graph (Horizon's Network Topology). */
  "networks.topology": "project:reader",
  /** Routers and floating IPs (Neutron's L3): the project's own. (External and provider networks are cloud admins', checked in networks.create.) */
  "routers.list": "project:reader",
  "routers.get": "project:reader",
  "routers.create": "project:member",
  "routers.update": "project:member",
  "routers.delete": "project:member",
  "routers.addInterface": "project:member",
  "routers.removeInterface": "project:member",
  "floatingIps.list": "project:reader",
  "floatingIps.get": "project:reader",
  "floatingIps.create": "project:member",
  "floatingIps.update": "project:member",
  "floatingIps.delete": "project:member",
  "securityGroups.list": "project:reader",
  "securityGroups.create": "project:member",
  "securityGroups.delete": "project:member",
  "securityGroups.addRule": "project:member",
  "securityGroups.removeRule": "project:member",
  // key pairs and volumes
  "keyPairs.list": "project:reader",
  "keyPairs.page": "project:reader",
  "keyPairs.create": "project:member",
  "keyPairs.import": "project:member",
  "keyPairs.delete": "project:member",
  "volumes.list": "project:reader",
  "volumes.page": "project:reader",
  "volumes.get": "project:reader",
  /** Cinder's all_tenants: every project's volumes. */
  "volumes.listAllProjects": "cloud_admin",
  "volumes.create": "project:member",
  "volumes.delete": "project:member",
  "serverGroups.list": "project:reader",
  "serverGroups.create": "project:member",
  "serverGroups.delete": "project:member",
  // operators
  "hosts.list": "cloud_admin",
  "hosts.page": "cloud_admin",
  "hosts.summary": "cloud_admin",
  "hosts.update": "cloud_admin",
  /** Evacuates every instance of a down host (novaclient's host-evacuate). */
  "hosts.evacuate": "cloud_admin",
  "hosts.previewPlacement": "cloud_admin",
  "hosts.launchAdmission": "cloud_admin",
  "aggregates.list": "cloud_admin",
  "aggregates.create": "cloud_admin",
  "aggregates.update": "cloud_admin",
  "aggregates.delete": "cloud_admin",
  "aggregates.addHost": "cloud_admin",
  "aggregates.removeHost": "cloud_admin",
  "agents.list": "cloud_admin",
  "agents.createJoinToken": "cloud_admin",
  "agents.revoke": "cloud_admin",
  "users.list": "cloud_admin",
  "users.page": "cloud_admin",
  "users.create": "cloud_admin",
  "users.setEnabled": "cloud_admin",
  "users.unlock": "cloud_admin",
  "projects.list": "cloud_admin",
  "projects.create": "cloud_admin",
  "roles.assign": "cloud_admin",
  "roles.remove": "cloud_admin",
  "quotas.get": "cloud_admin",
  "quotas.set": "cloud_admin",
  "audit.list": "cloud_admin",
  // socket.io
  "socket:/": "authenticated",
  "socket:/agent": "agent",
  // plain HTTP routes (streams that do not fit tRPC)
  "http:agent-enroll": "public",
  "http:image-upload": "project:member",
  /** A user's download of an image's bits (Glance's GET /v2/images/{id}/file): any image the project sees. */
  "http:image-data": "project:reader",
  "http:agent-image-download": "agent",
  /** A compute host uploads the bits of a snapshot its instance is taking (PUT /api/agent/snapshots/:id/file). */
  "http:agent-snapshot-upload": "agent",
  // Keystone's token API (the OpenStack adapter): a password or a token in force buys a scoped
  // token; a token's holder validates or revokes it.
  "http:keystone-issue-token": "public",
  "http:keystone-validate-token": "authenticated",
  "http:keystone-revoke-token": "authenticated",
  /** The whole serial console log as a file, for whoever may read it live (`instances.console`). */
  "http:instance-console-log": "project:reader",
  /** Prometheus metrics of a web process (cloud-wide figures): cloud admins, or a scraper with NIMBUS_METRICS_TOKEN. */
  "http:metrics": "cloud_admin",
} as const satisfies Record<string, Rule>;

export type PolicyTarget = keyof typeof POLICY;
/** Targets anyone may call, signed in or not. */
export type PublicTarget = { [T in PolicyTarget]: (typeof POLICY)[T] extends "public" ? T : never }[PolicyTarget];

/** Whether `principal` satisfies the rule of `target` (for what a view shows, not to refuse a call: use `authorize`). */
export function allows(principal: Principal | null, target: PolicyTarget): boolean {
  try {
    authorize(principal, target);
    return true;
  } catch {
    return false;
  }
}

/**
 * Throws Unauthenticated or Forbidden unless `principal` satisfies the rule of `target`, and
 * returns the principal the call may go on as (null only for a public target called anonymously).
 */
export function authorize(principal: Principal | null, target: Exclude<PolicyTarget, PublicTarget>): Principal;
export function authorize(principal: Principal | null, target: PolicyTarget): Principal | null;
export function authorize(principal: Principal | null, target: PolicyTarget): Principal | null {
  const rule: Rule = POLICY[target];
  if (rule === "public") return principal;
  if (rule === "agent") throw NimbusError.forbidden("Only compute agents may do that.");
  if (!principal) throw NimbusError.unauthenticated();
  if (rule === "authenticated") return principal;
  if (rule === "session") {
    if (principal.via !== "session") throw NimbusError.forbidden("An API token cannot do that; sign in to the console to do it.");
    return principal;
  }
  if (rule === "cloud_admin") {
    if (!principal.isAdmin) throw NimbusError.forbidden("Only cloud administrators may do that.");
    return principal;
  }
  const required = rule.slice("project:".length) as Role;
  if (!principal.isAdmin && !roleImplies(principal.role, required)) {
    throw NimbusError.forbidden(`Your role in project ${principal.projectName} (${principal.role}) does not allow that.`);
  }
  return principal;
}
