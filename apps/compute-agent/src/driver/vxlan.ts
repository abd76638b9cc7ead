/**
 * The Linux kernel's VXLAN, where a host's side of the overlay lives: one VXLAN device per
 * tenant network on the network's bridge (`nvx<8 hex>`, no learning, no multicast group, UDP
 * port 4789, ARP proxy on), its forwarding entries (`bridge fdb … dst <tunnel address>`) and
 * neighbour entries (`ip neigh … nud permanent`, which the ARP proxy answers from). Driven with
 * iproute2 (`ip`, `bridge`), changes in one batch file per call; every step checks what exists,
 * so it can be repeated.
 */
import { z } from "zod";
import { bridgeName } from "./host-network-xml";
import { runTool, withPrivateFile } from "./tool";

/** IANA's VXLAN port (Linux's own default is 8472, which nothing else here speaks). */
export const VXLAN_PORT = 4789;
/** Outer Ethernet, IPv4, UDP and VXLAN headers: a network's MTU plus this must fit the underlay's. */
export const VXLAN_OVERHEAD = 50;

/** The VXLAN device of a Nimbus network: `nvx` and the first 8 hex digits of its id (as its bridge `nbr…`). */
export function vxlanDeviceName(networkId: string): string {
  return `nvx${bridgeName(networkId).slice(3)}`;
}

/** One remote port as the kernel holds it: its IP (neighbour entry) and tunnel destination (forwarding entry). */
export interface KernelEntry {
  ip: string | null;
  dst: string | null;
}

/** What a VXLAN device should be. */
export interface VxlanDevice {
  networkId: string;
  segmentationId: number;
  mtu: number;
  /** This host's tunnel address (the device's `local`). */
  local: string;
}

/** An iproute2 call that failed; `stderr` holds the tool's own words. */
export class IprouteError extends Error {
  constructor(
    readonly tool: string,
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`${tool} ${args.join(" ")} failed: ${stderr.replace(/\s+/g, " ").trim() || "no message"}`, options);
    this.name = "IprouteError";
  }
}

function tool(name: "ip" | "bridge", ...args: string[]): Promise<string> {
  return runTool(name, args, (stderr, cause) => new IprouteError(name, args, stderr, { cause }));
}

/** Runs the lines as one `ip`/`bridge` batch; with `force`, a failing line does not stop the rest (and the call does not fail). */
async function batch(name: "ip" | "bridge", lines: string[], { force }: { force: boolean }): Promise<void> {
  if (lines.length === 0) return;
  await withPrivateFile("batch", `${lines.join("\n")}\n`, async (file) => {
    try {
      await tool(name, ...(force ? ["-force"] : []), "-batch", file);
    } catch (error) {
      if (!force) throw error;
    }
  });
}

const linkSchema = z.array(
  z.object({
    ifname: z.string(),
    mtu: z.number().optional(),
    master: z.string().optional(),
    operstate: z.string().optional(),
    flags: z.array(z.string()).optional(),
    linkinfo: z
      .object({
        info_kind: z.string().optional(),
        info_data: z
          .object({
            id: z.number().optional(),
            local: z.string().optional(),
            port: z.number().optional(),
            learning: z.boolean().optional(),
            proxy: z.boolean().optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
  }),
);
type Link = z.infer<typeof linkSchema>[number];

/** `ip -j -d link show …`; an empty list when the device does not exist. */
async function links(...selector: string[]): Promise<Link[]> {
  try {
    return linkSchema.parse(JSON.parse((await tool("ip", "-j", "-d", "link", "show", ...selector)) || "[]"));
  } catch (error) {
    if (error instanceof IprouteError && /does not exist|cannot find device/i.test(error.stderr)) return [];
    throw error;
  }
}

/** Whether the existing device is the one wanted, attached where it should be. */
function deviceMatches(link: Link, wanted: VxlanDevice): boolean {
  const data = link.linkinfo?.info_data;
  return (
    link.linkinfo?.info_kind === "vxlan" &&
    data?.id === wanted.segmentationId &&
    data.local === wanted.local &&
    data.port === VXLAN_PORT &&
    data.learning === false &&
    data.proxy === true
  );
}

/**
 * The host's VXLAN devices and entries, in the kernel. Tenant traffic between hosts is only
 * what the entries name: no flood entry (00:00:00:00:00:00) is ever added, so broadcasts
 * (DHCP, ARP, which the device's proxy answers) and unknown unicast stay on the host.
 */
export class KernelVxlan {
  /**
   * Makes the network's VXLAN device exist, as wanted, on its bridge, up; false (and nothing
   * made) when the bridge is not on this host. A stray device of another network holding the
   * same VNI (left by a network deleted while this host was away) is removed first: the kernel
   * allows one device per VNI and port.
   */
  async ensureDevice(wanted: VxlanDevice): Promise<boolean> {
    const bridge = bridgeName(wanted.networkId);
    const name = vxlanDeviceName(wanted.networkId);
    if ((await links("dev", bridge)).length === 0) return false;
    const [existing] = await links("dev", name);
    if (existing && !deviceMatches(existing, wanted)) await tool("ip", "link", "del", "dev", name);
    if (!existing || !deviceMatches(existing, wanted)) {
      for (const stray of await links("type", "vxlan")) {
        if (stray.ifname !== name && stray.ifname.startsWith("nvx") && stray.linkinfo?.info_data?.id === wanted.segmentationId) {
          await tool("ip", "link", "del", "dev", stray.ifname);
        }
      }
      await tool(
        "ip",
        ...["link", "add", name, "type", "vxlan", "id", String(wanted.segmentationId), "local", wanted.local],
        ...["dstport", String(VXLAN_PORT), "nolearning", "proxy"],
      );
    }
    const [device] = await links("dev", name);
    if (device?.mtu !== wanted.mtu || device.master !== bridge || !device.flags?.includes("UP")) {
      await tool("ip", "link", "set", "dev", name, "mtu", String(wanted.mtu), "master", bridge, "up");
    }
    return true;
  }

  /** Removes the network's VXLAN device (its entries go with it); a missing one is not an error. */
  async removeDevice(networkId: string): Promise<void> {
    const name = vxlanDeviceName(networkId);
    if ((await links("dev", name)).length > 0) await tool("ip", "link", "del", "dev", name);
  }

  /** The VXLAN devices of Nimbus networks on this host, by name. */
  async devices(): Promise<string[]> {
    return (await links("type", "vxlan")).map((l) => l.ifname).filter((name) => /^nvx[0-9a-f]{8}$/.test(name));
  }

  /** The MTU of the device holding `address`, or null when none does. */
  async underlayMtu(address: string): Promise<number | null> {
    const addresses = z
      .array(z.object({ ifname: z.string(), mtu: z.number().optional(), addr_info: z.array(z.object({ local: z.string().optional() })).optional() }))
      .parse(JSON.parse((await tool("ip", "-j", "addr", "show")) || "[]"));
    return addresses.find((a) => a.addr_info?.some((i) => i.local === address))?.mtu ?? null;
  }

  /** The entries the network's device holds now, by MAC (its own and the bridge's local ones aside). */
  async entries(networkId: string): Promise<Map<string, KernelEntry>> {
    const name = vxlanDeviceName(networkId);
    const fdb = z
      .array(z.object({ mac: z.string(), dst: z.string().optional(), flags: z.array(z.string()).optional() }))
      .parse(JSON.parse((await tool("bridge", "-j", "fdb", "show", "dev", name)) || "[]"));
    const neigh = z
      .array(z.object({ dst: z.string(), lladdr: z.string().optional() }))
      .parse(JSON.parse((await tool("ip", "-j", "-4", "neigh", "show", "dev", name)) || "[]"));
    const held = new Map<string, KernelEntry>();
    for (const f of fdb) {
      if (!f.dst || f.mac === "00:00:00:00:00:00") continue;
      held.set(f.mac.toLowerCase(), { ip: null, dst: f.dst });
    }
    for (const n of neigh) {
      if (!n.lladdr) continue;
      const mac = n.lladdr.toLowerCase();
      held.set(mac, { ip: n.dst, dst: held.get(mac)?.dst ?? null });
    }
    return held;
  }

  /**
   * Removes and adds entries on the network's device: removals first (a MAC given back and taken
   * by another port comes back in `upsert`), each removal harmless when the entry is not there.
   */
  async change(
    networkId: string,
    { upsert, remove }: { upsert: { mac: string; ip: string; dst: string }[]; remove: KernelRemoval[] },
  ): Promise<void> {
    const name = vxlanDeviceName(networkId);
    await batch(
      "bridge",
      remove.map((r) => `fdb del ${r.mac} dev ${name} self`),
      { force: true },
    );
    await batch(
      "ip",
      remove.flatMap((r) => (r.ip ? [`neigh del ${r.ip} dev ${name}`] : [])),
      { force: true },
    );
    await batch(
      "bridge",
      upsert.map((e) => `fdb replace ${e.mac} dev ${name} dst ${e.dst} self permanent`),
      { force: false },
    );
    await batch(
      "ip",
      upsert.map((e) => `neigh replace ${e.ip} lladdr ${e.mac} dev ${name} nud permanent`),
      { force: false },
    );
  }
}

/** An entry to remove: by MAC, and its neighbour entry when its IP is known. */
export interface KernelRemoval {
  mac: string;
  ip: string | null;
}
