import { z } from "zod";
import { DEFAULT_QUOTAS, projectQuotas, quotaUsage } from "@nimbus/core/quota";
import { MAX_VOLUME_GB } from "@nimbus/core/validation";
import { OsRefusal, principalOf, type OsCall, type OsRoute } from "../service";
import { checkUrlProject } from "./project-url";

/**
 * Cinder's quota sets and limits, as `openstack quota show` and `openstack limits show` read
 * them: the volume quotas (count and GB) are Nimbus's own; snapshots, backups and groups do not
 * exist in Nimbus, so their limit is 0 (none can be made), and no single volume may pass
 * MAX_VOLUME_GB.
 */

interface VolumeQuota {
  volumes: { limit: number; used: number };
  gigabytes: { limit: number; used: number };
}

/** The target project's volume quota: the caller's own (any role), another's for cloud admins only. */
async function volumeQuota(call: OsCall, target: string): Promise<VolumeQuota> {
  const principal = principalOf(call);
  if (target === principal.projectId) {
    const usage = await quotaUsage({ ctx: call.ctx });
    return { volumes: usage.volumes, gigabytes: usage.gigabytes };
  }
  if (!z.uuid().safeParse(target).success) throw new OsRefusal(404, "NotFound", `Project ${target.slice(0, 64)} could not be found.`);
  const quotas = await projectQuotas({ ctx: call.ctx, input: { projectId: target } });
  return {
    volumes: { limit: quotas.limits.volumes, used: quotas.used.volumes },
    gigabytes: { limit: quotas.limits.gigabytes, used: quotas.used.gigabytes },
  };
}

const NONE = { snapshots: 0, backups: 0, backup_gigabytes: 0, groups: 0 };

function quotaSet(id: string, quota: VolumeQuota, usage: boolean) {
  const entry = (figure: { limit: number; used: number }) =>
    usage ? { limit: figure.limit, in_use: figure.used, reserved: 0, allocated: 0 } : figure.limit;
  const none = (limit: number) => (usage ? { limit, in_use: 0, reserved: 0, allocated: 0 } : limit);
  return {
    quota_set: {
      id,
      volumes: entry(quota.volumes),
      gigabytes: entry(quota.gigabytes),
      per_volume_gigabytes: none(MAX_VOLUME_GB),
      ...Object.fromEntries(Object.entries(NONE).map(([key, limit]) => [key, none(limit)])),
    },
  };
}

const truthy = (value: string | null) => value !== null && ["1", "true", "yes", "on", "t", "y"].includes(value.toLowerCase());

export const quotaRoutes: OsRoute[] = [
  {
    method: "GET",
    path: "/v3/:projectId/os-quota-sets/:target",
    async handle(call) {
      checkUrlProject(call);
      const target = call.params.target!;
      return { status: 200, body: quotaSet(target, await volumeQuota(call, target), truthy(call.query.get("usage"))) };
    },
  },
  {
    method: "GET",
    path: "/v3/:projectId/os-quota-sets/:target/defaults",
    handle(call) {
      checkUrlProject(call);
      const defaults = { volumes: { limit: DEFAULT_QUOTAS.volumes, used: 0 }, gigabytes: { limit: DEFAULT_QUOTAS.gigabytes, used: 0 } };
      return { status: 200, body: quotaSet(call.params.target!, defaults, false) };
    },
  },
  {
    method: "GET",
    path: "/v3/:projectId/limits",
    async handle(call) {
      checkUrlProject(call);
      const quota = await volumeQuota(call, principalOf(call).projectId);
      return {
        status: 200,
        body: {
          limits: {
            rate: [],
            absolute: {
              maxTotalVolumes: quota.volumes.limit,
              maxTotalVolumeGigabytes: quota.gigabytes.limit,
              maxTotalSnapshots: 0,
              maxTotalBackups: 0,
              maxTotalBackupGigabytes: 0,
              totalVolumesUsed: quota.volumes.used,
              totalGigabytesUsed: quota.gigabytes.used,
              totalSnapshotsUsed: 0,
              totalBackupsUsed: 0,
              totalBackupGigabytesUsed: 0,
            },
          },
        },
      };
    },
  },
];
