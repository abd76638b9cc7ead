import { createHash } from "node:crypto";
import type { InstanceSummary } from "@nimbus/core/compute";
import { displayStatus, type PowerState, type TaskState, type VmState } from "@nimbus/core/instance-state";
import { isoSeconds } from "../service";

/**
 * Nova's server views at microversion 2.1 (nova/api/openstack/compute/views/servers.py), from
 * the instance rows core's listInstances and getInstance return: the same fields, states and
 * formats the stock clients read.
 */

/** What a view is built from: a list row, or getInstance's instance with its ports, groups and volumes. */
export type ServerRow = Pick<
  InstanceSummary,
  | "id"
  | "name"
  | "projectId"
  | "userId"
  | "flavorId"
  | "imageId"
  | "vmState"
  | "taskState"
  | "powerState"
  | "progress"
  | "createdAt"
  | "updatedAt"
  | "launchedAt"
  | "deletedAt"
  | "fault"
  | "keyName"
  | "configDrive"
  | "metadata"
  | "hostname"
  | "availabilityZone"
  | "ports"
  | "securityGroups"
  | "volumes"
>;

/** Nova's status of each vm_state when no task changes it (a status filter names vm_states by these). */
const STATUS: Record<VmState, string> = {
  building: "BUILD",
  active: "ACTIVE",
  stopped: "SHUTOFF",
  paused: "PAUSED",
  suspended: "SUSPENDED",
  error: "ERROR",
  deleted: "DELETED",
};

/**
 * Nova's status of a (vm_state, task_state) pair, as its _STATE_MAP gives it: core's one mapping
 * (REBOOT, HARD_REBOOT, ... while an action runs), but for deleting, which Nova shows as the
 * vm_state's own status.
 */
export const novaStatus = (vmState: VmState, taskState: TaskState | null) => displayStatus(vmState, taskState === "deleting" ? null : taskState);

/**
 * The vm_states a `status` filter names (case-insensitive, as Nova reads it). Statuses Nimbus
 * never reaches (REBOOT, RESIZE, SHELVED_OFFLOADED, ...) and unknown words name none.
 */
export function vmStatesOf(statuses: readonly string[]): VmState[] {
  const wanted = new Set(statuses.map((s) => s.trim().toUpperCase()));
  return (Object.keys(STATUS) as VmState[]).filter((state) => wanted.has(STATUS[state]));
}

/** Nova's power_state numbers (nova/compute/power_state.py). */
const POWER_STATE: Record<PowerState, number> = { nostate: 0, running: 1, paused: 3, shutdown: 4, crashed: 6, suspended: 7 };

/** Statuses whose view has `progress`, and those whose view has `fault` (Nova's _progress_statuses and _fault_statuses). */
const PROGRESS_STATUSES = new Set(["ACTIVE", "BUILD"]);
const FAULT_STATUSES = new Set(["ERROR", "DELETED"]);

/** Nova's hostId: the host hashed with the project, so a project can tell its servers apart by host without learning its name. */
export const hostIdOf = (projectId: string, hostname: string | null) =>
  hostname ? createHash("sha224").update(`${projectId}${hostname}`).digest("hex") : "";

/** A datetime as Nova's older fields print it (str of a naive UTC datetime, with microseconds): `2026-12-07T14:44:21.123000`. */
export const novaStrtime = (at: Date | string) => `${new Date(at).toISOString().slice(0, 23)}000`;

export const serverLinks = (baseUrl: string, id: string) => [
  { rel: "self", href: `${baseUrl}/compute/v2.1/servers/${id}` },
  { rel: "bookmark", href: `${baseUrl}/compute/servers/${id}` },
];

/** The non-detailed view (GET /servers). */
export const serverBrief = (baseUrl: string, row: Pick<ServerRow, "id" | "name">) => ({
  id: row.id,
  name: row.name,
  links: serverLinks(baseUrl, row.id),
});

/**
 * Nova's fault of an ERROR (or DELETED) server: the same plain words the console shows. Every
 * Nimbus fault (NoValidHost, BuildFailed, BuildTimeout) is a 500 in Nova's terms, whose details
 * Nova shows to admins only; Nimbus's details are the fault's kind when it has no more.
 */
function faultView(fault: NonNullable<ServerRow["fault"]>, operator: boolean) {
  return {
    code: 500,
    created: isoSeconds(new Date(fault.createdAt)),
    message: fault.message,
    ...(operator ? { details: fault.details ?? fault.code } : {}),
  };
}

/** The addresses of a server by network name (none while it builds, as Nova hides them). */
function addressesOf(row: ServerRow) {
  const addresses: Record<string, { version: number; addr: string; "OS-EXT-IPS:type": string; "OS-EXT-IPS-MAC:mac_addr": string }[]> = {};
  if (row.vmState === "building") return addresses;
  for (const port of row.ports) {
    (addresses[port.networkName] ??= []).push({
      version: port.ipAddress.includes(":") ? 6 : 4,
      addr: port.ipAddress,
      "OS-EXT-IPS:type": "fixed",
      "OS-EXT-IPS-MAC:mac_addr": port.macAddress,
    });
  }
  return addresses;
}

/**
 * The detailed view (GET /servers/{id} and /servers/detail) at 2.1. `operator`: the caller may
 * see hosts and fault details (the `instances.allProjects` rule), for the OS-EXT-SRV-ATTR keys.
 */
export function serverDetail(baseUrl: string, row: ServerRow, operator: boolean) {
  const status = novaStatus(row.vmState, row.taskState);
  // Booted from a volume: no image (OSC prints "N/A (booted from volume)").
  const fromVolume = row.volumes.some((v) => v.bootIndex === 0);
  const view: Record<string, unknown> = {
    id: row.id,
    name: row.name,
    status,
    tenant_id: row.projectId,
    user_id: row.userId,
    metadata: row.metadata,
    hostId: hostIdOf(row.projectId, row.hostname),
    image: row.imageId && !fromVolume ? { id: row.imageId, links: [{ rel: "bookmark", href: `${baseUrl}/compute/images/${row.imageId}` }] } : "",
    flavor: { id: row.flavorId, links: [{ rel: "bookmark", href: `${baseUrl}/compute/flavors/${row.flavorId}` }] },
    created: isoSeconds(row.createdAt),
    updated: isoSeconds(row.updatedAt),
    addresses: addressesOf(row),
    accessIPv4: "",
    accessIPv6: "",
    links: serverLinks(baseUrl, row.id),
    "OS-DCF:diskConfig": "MANUAL",
  };
  if (FAULT_STATUSES.has(status) && row.fault) view.fault = faultView(row.fault, operator);
  if (PROGRESS_STATUSES.has(status)) view.progress = row.progress;
  view["OS-EXT-AZ:availability_zone"] = row.availabilityZone ?? "";
  view.config_drive = row.configDrive ? "True" : "";
  view.key_name = row.keyName;
  view["OS-SRV-USG:launched_at"] = row.launchedAt ? novaStrtime(row.launchedAt) : null;
  view["OS-SRV-USG:terminated_at"] = row.deletedAt ? novaStrtime(row.deletedAt) : null;
  // Nova leaves the key out when the server is in no group (a deleted server has no ports).
  if (row.securityGroups.length > 0) view.security_groups = row.securityGroups.map((name) => ({ name }));
  if (operator) {
    view["OS-EXT-SRV-ATTR:host"] = row.hostname;
    view["OS-EXT-SRV-ATTR:instance_name"] = `nimbus-${row.id}`;
    view["OS-EXT-SRV-ATTR:hypervisor_hostname"] = row.hostname;
  }
  view["OS-EXT-STS:task_state"] = row.taskState;
  view["OS-EXT-STS:vm_state"] = row.vmState;
  view["OS-EXT-STS:power_state"] = POWER_STATE[row.powerState];
  view["os-extended-volumes:volumes_attached"] = row.volumes.map((v) => ({ id: v.id }));
  return view;
}
