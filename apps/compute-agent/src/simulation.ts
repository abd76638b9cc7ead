/**
 * Simulation mode (Nova's fake driver, on libvirt's real test driver): one agent process runs
 * several simulated hosts, each with its own libvirt test-driver instance. A test driver opened
 * from a file shares no state with any other connection, so every simulated host has private
 * domains, and its inventory is whatever the node file says.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { intToIp, ipToInt } from "@nimbus/core/ipv4";

/** The disk a simulated host reports unless NIMBUS_DISK_GB says otherwise. */
export const SIMULATED_DISK_GB = 1000;

export interface SimulatedInventory {
  vcpus: number;
  memoryMb: number;
  /** The CPU model the host reports (the scheduler's architecture); at most 31 characters. */
  model?: string;
}

/**
 * The one host `npm start` runs when no hypervisor is named: libvirt's simulated hypervisor,
 * sized so that every seeded flavor fits (m1.xlarge is 8 vCPUs and 16 GiB), and an x86_64 CPU
 * so that images built for one launch on it. (test:///default reports 16 CPUs, 3 GiB and i686.)
 */
export const DEFAULT_SIMULATED_NODE: SimulatedInventory = { vcpus: 16, memoryMb: 32_768, model: "x86_64" };

export interface SimulatedHost {
  hostname: string;
  stateDir: string;
  libvirtUri: string;
}

/**
 * The tunnel address of simulated host `index` (from 1) when the process is given `first`
 * (NIMBUS_TUNNEL_IP): the next address for each next host. Simulated hosts only record the
 * forwarding entries they are told; nothing is ever sent to these addresses. Null past the
 * end of the address space.
 */
export function simulatedTunnelAddress(first: string, index: number): string | null {
  const n = ipToInt(first) + index - 1;
  return n > 0xffffffff ? null : intToIp(n);
}

/** Simulated hosts are numbered from 1: `compute-a-sim-1`, `compute-a-sim-2`, … */
export function simulatedHostname(hostname: string, index: number): string {
  return `${hostname}-sim-${index}`;
}

/**
 * The test driver's node file: `<cpu>` gives nodes × sockets × cores × threads CPUs (model at
 * most 31 characters), `<memory>` is in KiB. Domains, networks and pools may follow; a simulated
 * host starts with none.
 */
export function simulatedNodeXml({ vcpus, memoryMb, model = "Nimbus simulated CPU" }: SimulatedInventory): string {
  return [
    `<node>`,
    `  <cpu>`,
    `    <mhz>2400</mhz>`,
    `    <model>${model}</model>`,
    `    <nodes>1</nodes>`,
    `    <sockets>1</sockets>`,
    `    <cores>${vcpus}</cores>`,
    `    <threads>1</threads>`,
    `  </cpu>`,
    `  <memory>${memoryMb * 1024}</memory>`,
    `</node>`,
    ``,
  ].join("\n");
}

/**
 * Writes the node file of simulated host `index` into `<stateDir>/sim-<index>/`, which is also
 * that host's state dir, and returns the host's name and libvirt URI.
 */
export async function prepareSimulatedHost(options: {
  stateDir: string;
  hostname: string;
  index: number;
  inventory: SimulatedInventory;
}): Promise<SimulatedHost> {
  const stateDir = path.join(options.stateDir, `sim-${options.index}`);
  return {
    hostname: simulatedHostname(options.hostname, options.index),
    stateDir,
    libvirtUri: await simulatedNodeUri(stateDir, options.inventory),
  };
}

/** Writes `<stateDir>/node.xml` for `inventory` and returns the test driver's URI that opens it. */
export async function simulatedNodeUri(stateDir: string, inventory: SimulatedInventory): Promise<string> {
  await mkdir(stateDir, { recursive: true });
  const nodeFile = path.join(stateDir, "node.xml");
  await writeFile(nodeFile, simulatedNodeXml(inventory));
  // `test:///abs/path`, percent-encoded so a path with spaces is still one URI.
  return `test://${pathToFileURL(nodeFile).pathname}`;
}
