/**
 * The Linux kernel's 802.1Q VLANs, where a vlan provider network meets the physical network on
 * this host (the work of Neutron's linuxbridge agent for a vlan segment): a VLAN device
 * `nvl<8 hex>` of the network's VLAN id on the host's interface for the physical network
 * (NIMBUS_PHYSNETS), enslaved to the network's bridge, so the network's ports on every host
 * with that interface share one tagged wire. Driven with iproute2; every step reads what exists
 * first, so it can be repeated.
 */
import { z } from "zod";
import { bridgeName } from "./host-network-xml";
import { runTool } from "./tool";
import { IprouteError } from "./vxlan";

/** The VLAN device of a Nimbus network: `nvl` and the first 8 hex digits of its id (as its bridge `nbr…`). */
export function vlanDeviceName(networkId: string): string {
  return `nvl${bridgeName(networkId).slice(3)}`;
}

/** What a network's VLAN device should be. */
export interface VlanDevice {
  networkId: string;
  /** The host's interface (or bridge) for the physical network. */
  parent: string;
  vlanId: number;
  mtu: number;
}

const linkSchema = z.array(
  z.object({
    // A kernel without 802.1Q answers `show type vlan` with one empty object per device.
    ifname: z.string().optional(),
    /** The lower device of a VLAN device (in this namespace). */
    link: z.string().optional(),
    mtu: z.number().optional(),
    master: z.string().optional(),
    flags: z.array(z.string()).optional(),
    linkinfo: z.object({ info_kind: z.string().optional(), info_data: z.object({ id: z.number().optional() }).optional() }).optional(),
  }),
);
type Link = z.infer<typeof linkSchema>[number] & { ifname: string };

/** Runs `ip` with the arguments; rejects with an IprouteError holding its own words. */
export type IpTool = (...args: string[]) => Promise<string>;

const ipTool: IpTool = (...args) => runTool("ip", args, (stderr, cause) => new IprouteError("ip", args, stderr, { cause }));

/** The kernel has no 802.1Q (CONFIG_VLAN_8021Q, the `8021q` module): no VLAN device can be made on this host. */
export class VlanUnsupportedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super(
      "this host's kernel cannot make VLAN devices (802.1Q: CONFIG_VLAN_8021Q, module 8021q), so its vlan networks cannot be built: load 8021q (modprobe 8021q) or keep vlan networks' instances off this host",
      options,
    );
    this.name = "VlanUnsupportedError";
  }
}

const isVlanOf = (link: Link, parent: string, vlanId: number) =>
  link.linkinfo?.info_kind === "vlan" && link.link === parent && link.linkinfo.info_data?.id === vlanId;

export class KernelVlan {
  constructor(private readonly ip: IpTool = ipTool) {}

  /** `ip -j -d link show …`; an empty list when the device does not exist. */
  private async links(...selector: string[]): Promise<Link[]> {
    try {
      const listed = linkSchema.parse(JSON.parse((await this.ip("-j", "-d", "link", "show", ...selector)) || "[]"));
      return listed.filter((l): l is Link => typeof l.ifname === "string");
    } catch (error) {
      if (error instanceof IprouteError && /does not exist|cannot find device|unknown device type/i.test(error.stderr)) return [];
      throw error;
    }
  }

  /**
   * Makes the network's VLAN device exist on `parent` with its id, on the network's bridge, up;
   * false (and nothing made) when the bridge is not on this host. A device of another Nimbus
   * network holding the same id on the same interface (left by a network deleted while this
   * host was away) is removed first: the kernel allows one device per id and interface. One
   * that is not Nimbus's is the operator's, and is left alone with an error that names it.
   */
  async ensureDevice(wanted: VlanDevice): Promise<boolean> {
    const bridge = bridgeName(wanted.networkId);
    const name = vlanDeviceName(wanted.networkId);
    if ((await this.links("dev", bridge)).length === 0) return false;
    const [parent] = await this.links("dev", wanted.parent);
    if (!parent) {
      throw new Error(
        `this host has no interface ${wanted.parent} for the physical network (NIMBUS_PHYSNETS); the network's VLAN ${wanted.vlanId} cannot reach other hosts`,
      );
    }
    const [existing] = await this.links("dev", name);
    if (existing && !isVlanOf(existing, wanted.parent, wanted.vlanId)) await this.ip("link", "del", "dev", name);
    if (!existing || !isVlanOf(existing, wanted.parent, wanted.vlanId)) {
      for (const other of await this.links("type", "vlan")) {
        if (other.ifname === name || !isVlanOf(other, wanted.parent, wanted.vlanId)) continue;
        if (!/^nvl[0-9a-f]{8}$/.test(other.ifname)) {
          throw new Error(
            `${other.ifname} already carries VLAN ${wanted.vlanId} on ${wanted.parent}: remove it, or give the network another VLAN id`,
          );
        }
        await this.ip("link", "del", "dev", other.ifname);
      }
      try {
        await this.ip("link", "add", "link", wanted.parent, "name", name, "type", "vlan", "id", String(wanted.vlanId));
      } catch (error) {
        if (error instanceof IprouteError && /unknown device type/i.test(error.stderr)) throw new VlanUnsupportedError({ cause: error });
        throw error;
      }
    }
    if (!parent.flags?.includes("UP")) await this.ip("link", "set", "dev", wanted.parent, "up");
    const [device] = await this.links("dev", name);
    if (device?.mtu !== wanted.mtu || device.master !== bridge || !device.flags?.includes("UP")) {
      await this.ip("link", "set", "dev", name, "mtu", String(wanted.mtu), "master", bridge, "up");
    }
    return true;
  }

  /** Removes the network's VLAN device; a missing one is not an error. */
  removeDevice(networkId: string): Promise<void> {
    return this.removeNamed(vlanDeviceName(networkId));
  }

  /** Removes a VLAN device by name (one `devices` listed); a missing one is not an error. */
  async removeNamed(name: string): Promise<void> {
    if (!/^nvl[0-9a-f]{8}$/.test(name)) throw new Error(`Not a Nimbus VLAN device: ${JSON.stringify(name)}.`);
    if ((await this.links("dev", name)).length > 0) await this.ip("link", "del", "dev", name);
  }

  /** The VLAN devices of Nimbus networks on this host, with the bridge each is on (null: none). */
  async devices(): Promise<{ name: string; master: string | null }[]> {
    return (await this.links("type", "vlan"))
      .filter((l) => /^nvl[0-9a-f]{8}$/.test(l.ifname))
      .map((l) => ({ name: l.ifname, master: l.master ?? null }));
  }
}
