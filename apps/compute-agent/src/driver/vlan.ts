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
    ifname: z.string(),
    /** The lower device of a VLAN device (in this namespace). */
    link: z.string().optional(),
    mtu: z.number().optional(),
    master: z.string().optional(),
    flags: z.array(z.string()).optional(),
    linkinfo: z
      .object({ info_kind: z.string().optional(), info_data: z.object({ id: z.number().optional() }).optional() })
      .optional(),
  }),
);
type Link = z.infer<typeof linkSchema>[number];

function ip(...args: string[]): Promise<string> {
  return runTool("ip", args, (stderr, cause) => new IprouteError("ip", args, stderr, { cause }));
}

/** `ip -j -d link show …`; an empty list when the device does not exist. */
async function links(...selector: string[]): Promise<Link[]> {
  try {
    return linkSchema.parse(JSON.parse((await ip("-j", "-d", "link", "show", ...selector)) || "[]"));
  } catch (error) {
    if (error instanceof IprouteError && /does not exist|cannot find device/i.test(error.stderr)) return [];
    throw error;
  }
}

const isVlanOf = (link: Link, parent: string, vlanId: number) =>
  link.linkinfo?.info_kind === "vlan" && link.link === parent && link.linkinfo.info_data?.id === vlanId;

export class KernelVlan {
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
    if ((await links("dev", bridge)).length === 0) return false;
    const [parent] = await links("dev", wanted.parent);
    if (!parent) {
      throw new Error(`this host has no interface ${wanted.parent} for the physical network (NIMBUS_PHYSNETS); the network's VLAN ${wanted.vlanId} cannot reach other hosts`);
    }
    const [existing] = await links("dev", name);
    if (existing && !isVlanOf(existing, wanted.parent, wanted.vlanId)) await ip("link", "del", "dev", name);
    if (!existing || !isVlanOf(existing, wanted.parent, wanted.vlanId)) {
      for (const other of await links("type", "vlan")) {
        if (other.ifname === name || !isVlanOf(other, wanted.parent, wanted.vlanId)) continue;
        if (!/^nvl[0-9a-f]{8}$/.test(other.ifname)) {
          throw new Error(`${other.ifname} already carries VLAN ${wanted.vlanId} on ${wanted.parent}: remove it, or give the network another VLAN id`);
        }
        await ip("link", "del", "dev", other.ifname);
      }
      await ip("link", "add", "link", wanted.parent, "name", name, "type", "vlan", "id", String(wanted.vlanId));
    }
    if (!parent.flags?.includes("UP")) await ip("link", "set", "dev", wanted.parent, "up");
    const [device] = await links("dev", name);
    if (device?.mtu !== wanted.mtu || device.master !== bridge || !device.flags?.includes("UP")) {
      await ip("link", "set", "dev", name, "mtu", String(wanted.mtu), "master", bridge, "up");
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
    if ((await links("dev", name)).length > 0) await ip("link", "del", "dev", name);
  }

  /** The VLAN devices of Nimbus networks on this host, with the bridge each is on (null: none). */
  async devices(): Promise<{ name: string; master: string | null }[]> {
    return (await links("type", "vlan")).filter((l) => /^nvl[0-9a-f]{8}$/.test(l.ifname)).map((l) => ({ name: l.ifname, master: l.master ?? null }));
  }
}
