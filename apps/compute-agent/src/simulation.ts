/**
 * Simulation mode (Nova's fake driver, on libvirt's real test driver): one agent process runs
 * several simulated hosts, each with its own libvirt test-driver instance. A test driver opened
 * from a file shares no state with any other connection, so every simulated host has private
 * domains, and its inventory is whatever the node file says.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";

/** The disk a simulated host reports unless NIMBUS_DISK_GB says otherwise. */
export const SIMULATED_DISK_GB = 1000;

export interface SimulatedInventory {
  vcpus: number;
  memoryMb: number;
}

export interface SimulatedHost {
  hostname: string;
  stateDir: string;
  libvirtUri: string;
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
export function simulatedNodeXml({ vcpus, memoryMb }: SimulatedInventory): string {
  return [
    `<node>`,
    `  <cpu>`,
    `    <mhz>2400</mhz>`,
    `    <model>Nimbus simulated CPU</model>`,
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
  await mkdir(stateDir, { recursive: true });
  const nodeFile = path.join(stateDir, "node.xml");
  await writeFile(nodeFile, simulatedNodeXml(options.inventory));
  return {
    hostname: simulatedHostname(options.hostname, options.index),
    stateDir,
    // `test:///abs/path`, percent-encoded so a path with spaces is still one URI.
    libvirtUri: `test://${pathToFileURL(nodeFile).pathname}`,
  };
}
