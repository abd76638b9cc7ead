import { describe, expect, it } from "vitest";
import { KernelVlan, VlanUnsupportedError, vlanDeviceName } from "./vlan";
import { IprouteError } from "./vxlan";

const NETWORK = "795475b6-1111-4222-8333-444455556666";
const OTHER = "0a1b2c3d-1111-4222-8333-444455556666";

interface FakeLink {
  ifname: string;
  kind?: string;
  link?: string;
  id?: number;
  master?: string;
  mtu: number;
  up: boolean;
}

/**
 * A stand-in for `ip` over a tiny model of the kernel's links, answering what KernelVlan asks
 * (show, add … type vlan, set, del) as iproute2 does, and recording each change it makes.
 */
function fakeKernel({ has8021q = true }: { has8021q?: boolean } = {}) {
  const links = new Map<string, FakeLink>();
  const changes: string[] = [];
  const fail = (args: string[], stderr: string) => new IprouteError("ip", args, stderr);
  const json = (l: FakeLink) => ({
    ifname: l.ifname,
    ...(l.link ? { link: l.link } : {}),
    mtu: l.mtu,
    ...(l.master ? { master: l.master } : {}),
    flags: l.up ? ["BROADCAST", "UP"] : ["BROADCAST"],
    ...(l.kind ? { linkinfo: { info_kind: l.kind, info_data: l.id === undefined ? {} : { id: l.id } } } : {}),
  });
  const ip = async (...args: string[]): Promise<string> => {
    const line = args.join(" ");
    if (line.startsWith("-j -d link show dev ")) {
      const link = links.get(args[5]!);
      if (!link) throw fail(args, `Device "${args[5]}" does not exist.`);
      return JSON.stringify([json(link)]);
    }
    if (line === "-j -d link show type vlan") {
      if (!has8021q) throw fail(args, "Error: Unknown device type.");
      return JSON.stringify([...links.values()].filter((l) => l.kind === "vlan").map(json));
    }
    changes.push(line);
    const verb = args[1];
    if (args[0] === "link" && verb === "add") {
      // link add link <parent> name <name> type vlan id <id>
      const [parent, name, id] = [args[3]!, args[5]!, Number(args[9])];
      if (!has8021q) throw fail(args, "Error: Unknown device type.");
      if (links.has(name)) throw fail(args, "RTNETLINK answers: File exists");
      links.set(name, { ifname: name, kind: "vlan", link: parent, id, mtu: links.get(parent)!.mtu, up: false });
      return "";
    }
    if (args[0] === "link" && verb === "set") {
      const link = links.get(args[3]!)!;
      for (let i = 4; i < args.length; i++) {
        if (args[i] === "mtu") link.mtu = Number(args[++i]);
        else if (args[i] === "master") link.master = args[++i];
        else if (args[i] === "up") link.up = true;
      }
      return "";
    }
    if (args[0] === "link" && verb === "del") {
      links.delete(args[3]!);
      return "";
    }
    throw new Error(`the fake kernel does not know: ip ${line}`);
  };
  return { links, changes, ip };
}

const bridgeOf = (networkId: string) => `nbr${networkId.replace(/-/g, "").slice(0, 8)}`;

describe("a vlan network's VLAN device", () => {
  it("is made on the physical network's interface with the network's id, on its bridge, once however often it is asked", async () => {
    const kernel = fakeKernel();
    kernel.links.set("trunk0", { ifname: "trunk0", mtu: 1500, up: false });
    kernel.links.set(bridgeOf(NETWORK), { ifname: bridgeOf(NETWORK), kind: "bridge", mtu: 1500, up: true });
    const vlans = new KernelVlan(kernel.ip);
    const wanted = { networkId: NETWORK, parent: "trunk0", vlanId: 101, mtu: 1500 };
    expect(await vlans.ensureDevice(wanted)).toBe(true);
    expect(kernel.links.get("nvl795475b6")).toMatchObject({ kind: "vlan", link: "trunk0", id: 101, master: bridgeOf(NETWORK), mtu: 1500, up: true });
    expect(kernel.changes).toEqual([
      "link add link trunk0 name nvl795475b6 type vlan id 101",
      "link set dev trunk0 up",
      `link set dev nvl795475b6 mtu 1500 master ${bridgeOf(NETWORK)} up`,
    ]);
    // Again (a repeated plug, an agent restart): nothing changes.
    kernel.changes.length = 0;
    expect(await vlans.ensureDevice(wanted)).toBe(true);
    expect(kernel.changes).toEqual([]);
    // Taken off its bridge meanwhile: put back.
    delete kernel.links.get("nvl795475b6")!.master;
    await vlans.ensureDevice(wanted);
    expect(kernel.changes).toEqual([`link set dev nvl795475b6 mtu 1500 master ${bridgeOf(NETWORK)} up`]);
    // Removed with the network; twice is no error.
    await vlans.removeDevice(NETWORK);
    await vlans.removeDevice(NETWORK);
    expect(kernel.links.has("nvl795475b6")).toBe(false);
  });

  it("is not made while the network's bridge is not on the host", async () => {
    const kernel = fakeKernel();
    kernel.links.set("trunk0", { ifname: "trunk0", mtu: 1500, up: true });
    expect(await new KernelVlan(kernel.ip).ensureDevice({ networkId: NETWORK, parent: "trunk0", vlanId: 101, mtu: 1500 })).toBe(false);
    expect(kernel.changes).toEqual([]);
  });

  it("takes the id from a deleted network's device, but leaves the operator's own device alone and says so", async () => {
    const kernel = fakeKernel();
    kernel.links.set("trunk0", { ifname: "trunk0", mtu: 1500, up: true });
    kernel.links.set(bridgeOf(NETWORK), { ifname: bridgeOf(NETWORK), kind: "bridge", mtu: 1500, up: true });
    kernel.links.set(vlanDeviceName(OTHER), { ifname: vlanDeviceName(OTHER), kind: "vlan", link: "trunk0", id: 101, mtu: 1500, up: true });
    const vlans = new KernelVlan(kernel.ip);
    await vlans.ensureDevice({ networkId: NETWORK, parent: "trunk0", vlanId: 101, mtu: 1500 });
    expect(kernel.links.has(vlanDeviceName(OTHER))).toBe(false);
    expect(kernel.links.get("nvl795475b6")).toMatchObject({ id: 101 });

    kernel.links.delete("nvl795475b6");
    kernel.links.set("trunk0.101", { ifname: "trunk0.101", kind: "vlan", link: "trunk0", id: 101, mtu: 1500, up: true });
    await expect(vlans.ensureDevice({ networkId: NETWORK, parent: "trunk0", vlanId: 101, mtu: 1500 })).rejects.toThrow(
      "trunk0.101 already carries VLAN 101 on trunk0: remove it, or give the network another VLAN id",
    );
    expect(kernel.links.has("trunk0.101")).toBe(true);
  });

  it("names what is missing: the physical network's interface, or the kernel's 802.1Q", async () => {
    const kernel = fakeKernel({ has8021q: false });
    kernel.links.set(bridgeOf(NETWORK), { ifname: bridgeOf(NETWORK), kind: "bridge", mtu: 1500, up: true });
    const vlans = new KernelVlan(kernel.ip);
    await expect(vlans.ensureDevice({ networkId: NETWORK, parent: "eth9", vlanId: 101, mtu: 1500 })).rejects.toThrow(
      /this host has no interface eth9 for the physical network \(NIMBUS_PHYSNETS\)/,
    );
    kernel.links.set("trunk0", { ifname: "trunk0", mtu: 1500, up: true });
    await expect(vlans.ensureDevice({ networkId: NETWORK, parent: "trunk0", vlanId: 101, mtu: 1500 })).rejects.toBeInstanceOf(VlanUnsupportedError);
    expect(await vlans.devices()).toEqual([]);
  });
});
