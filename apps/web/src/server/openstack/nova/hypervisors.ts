import { atLeast, badRequest, notFound, OsRefusal, type OsCall, type OsRoute } from "../service";
import { checkQuery, limitAndMarker, nextLinks, pageOf, strictBool } from "./common";
import { hostApiId, hostByApiId, hostsOf, type Host } from "./hosts";

/**
 * Nova's os-hypervisors: one compute node per Nimbus host, its figures from placement (totals,
 * what the host's allocations use, reserved amounts counted as used as Nova's resource tracker
 * counts them) and its instances. Unknown to Nimbus: the host's IP and hypervisor version
 * (null and 0), and its uptime (501 from the uptime route, null from 2.88 on).
 */

const cpuInfo = (host: Host) => (host.cpuModel ? { model: host.cpuModel } : {});

function hypervisorView(call: OsCall, host: Host, { detail, withServers }: { detail: boolean; withServers: boolean }) {
  const view: Record<string, unknown> = {
    id: hostApiId(call, host),
    hypervisor_hostname: host.hostname,
    state: host.state,
    status: host.enabled ? "enabled" : "disabled",
  };
  if (detail) {
    Object.assign(view, {
      hypervisor_type: host.hypervisorType,
      hypervisor_version: 0,
      host_ip: null,
      service: { id: hostApiId(call, host), host: host.hostname, disabled_reason: host.disabledReason },
    });
    if (!atLeast(call, "2.88")) {
      const memoryUsed = host.memoryMb.used + host.memoryMb.reserved;
      const diskUsed = host.diskGb.used + host.diskGb.reserved;
      Object.assign(view, {
        vcpus: host.vcpus.total,
        memory_mb: host.memoryMb.total,
        local_gb: host.diskGb.total,
        vcpus_used: host.vcpus.used,
        memory_mb_used: memoryUsed,
        local_gb_used: diskUsed,
        free_ram_mb: host.memoryMb.total - memoryUsed,
        free_disk_gb: host.diskGb.total - diskUsed,
        current_workload: host.instances.filter((i) => i.status === "BUILD" || i.status === "DELETING").length,
        running_vms: host.instanceCount,
        disk_available_least: host.diskGb.total - diskUsed,
        cpu_info: atLeast(call, "2.28") ? cpuInfo(host) : JSON.stringify(cpuInfo(host)),
      });
    } else {
      view.uptime = null;
    }
  }
  if (withServers) {
    const servers = host.instances.map((i) => ({ name: i.name, uuid: i.id }));
    if (servers.length > 0 || atLeast(call, "2.75")) view.servers = servers;
  }
  return view;
}

/** `with_servers` (2.53): a strict boolean, as Nova reads it. */
function withServersOf(call: OsCall): boolean {
  if (!atLeast(call, "2.53")) return false;
  const raw = call.query.get("with_servers");
  if (raw === null) return false;
  const value = strictBool(raw);
  if (value === null) throw badRequest(`Invalid input for query parameters with_servers. Value: ${raw.slice(0, 32)}.`);
  return value;
}

/** Hostnames containing `pattern` (Nova's SQL LIKE '%pattern%'), or 404 when none does. */
function matching(hosts: Host[], pattern: string): Host[] {
  const found = hosts.filter((h) => h.hostname.includes(pattern));
  if (found.length === 0) throw notFound(`No hypervisor matching '${pattern.slice(0, 255)}' could be found.`);
  return found;
}

async function listHypervisors(call: OsCall, detail: boolean) {
  const known = atLeast(call, "2.53")
    ? ["limit", "marker", "hypervisor_hostname_pattern", "with_servers"]
    : atLeast(call, "2.33")
      ? ["limit", "marker"]
      : [];
  checkQuery(call, known, "2.53");
  const hosts = await hostsOf(call);
  const withServers = withServersOf(call);
  const pattern = atLeast(call, "2.53") ? call.query.get("hypervisor_hostname_pattern") : null;
  if (pattern !== null) {
    if (call.query.has("limit") || call.query.has("marker")) {
      throw badRequest("Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.");
    }
    return { hypervisors: matching(hosts, pattern).map((h) => hypervisorView(call, h, { detail, withServers })) };
  }
  if (!atLeast(call, "2.33")) return { hypervisors: hosts.map((h) => hypervisorView(call, h, { detail, withServers })) };
  // Paged in the order of the ids the call sees, the marker being one of them.
  const keyOf = (h: Host) => String(hostApiId(call, h));
  const ordered = [...hosts].sort((a, b) => (atLeast(call, "2.53") ? a.id.localeCompare(b.id) : a.number - b.number));
  const paging = limitAndMarker(call);
  const page = pageOf(ordered, keyOf, paging);
  const links = nextLinks(call, detail ? "os-hypervisors/detail" : "os-hypervisors", page, keyOf, paging.limit);
  return { hypervisors: page.map((h) => hypervisorView(call, h, { detail, withServers })), ...(links ? { hypervisors_links: links } : {}) };
}

export const hypervisorRoutes: OsRoute[] = [
  { method: "GET", path: "/v2.1/os-hypervisors", handle: async (call) => ({ status: 200, body: await listHypervisors(call, false) }) },
  { method: "GET", path: "/v2.1/os-hypervisors/detail", handle: async (call) => ({ status: 200, body: await listHypervisors(call, true) }) },
  {
    method: "GET",
    path: "/v2.1/os-hypervisors/statistics",
    async handle(call) {
      const hosts = await hostsOf(call);
      if (atLeast(call, "2.88")) throw notFound(`Hypervisor with ID 'statistics' could not be found.`);
      const views = hosts.map((h) => hypervisorView(call, h, { detail: true, withServers: false }) as Record<string, number>);
      const sum = (field: string) => views.reduce((total, v) => total + (v[field] ?? 0), 0);
      const fields = [
        "vcpus",
        "memory_mb",
        "local_gb",
        "vcpus_used",
        "memory_mb_used",
        "local_gb_used",
        "free_ram_mb",
        "free_disk_gb",
        "current_workload",
        "running_vms",
        "disk_available_least",
      ];
      return { status: 200, body: { hypervisor_statistics: { count: hosts.length, ...Object.fromEntries(fields.map((f) => [f, sum(f)])) } } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-hypervisors/:hypervisorId",
    async handle(call) {
      checkQuery(call, atLeast(call, "2.53") ? ["with_servers"] : [], "2.53");
      const hosts = await hostsOf(call);
      const host = hostByApiId(call, hosts, call.params.hypervisorId!, "Hypervisor");
      return { status: 200, body: { hypervisor: hypervisorView(call, host, { detail: true, withServers: withServersOf(call) }) } };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-hypervisors/:hypervisorId/uptime",
    async handle(call) {
      const hosts = await hostsOf(call);
      if (atLeast(call, "2.88")) throw notFound("The resource could not be found.");
      hostByApiId(call, hosts, call.params.hypervisorId!, "Hypervisor");
      // Nova's answer for a virt driver that cannot tell the host's uptime.
      throw new OsRefusal(501, "Internal", "Feature not supported: Nimbus agents do not report their host's uptime.");
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-hypervisors/:pattern/search",
    async handle(call) {
      const hosts = await hostsOf(call);
      if (atLeast(call, "2.53")) throw notFound("The resource could not be found.");
      return {
        status: 200,
        body: { hypervisors: matching(hosts, call.params.pattern!).map((h) => hypervisorView(call, h, { detail: false, withServers: false })) },
      };
    },
  },
  {
    method: "GET",
    path: "/v2.1/os-hypervisors/:pattern/servers",
    async handle(call) {
      const hosts = await hostsOf(call);
      if (atLeast(call, "2.53")) throw notFound("The resource could not be found.");
      return {
        status: 200,
        body: { hypervisors: matching(hosts, call.params.pattern!).map((h) => hypervisorView(call, h, { detail: false, withServers: true })) },
      };
    },
  },
];
