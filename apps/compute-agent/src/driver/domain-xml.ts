import type { SpawnCommand } from "@nimbus/core/protocol/agent";
import type { BlockDevices, DiskSpec, NicSpec, Vif } from "./types";

/** Namespace of Nimbus's element inside libvirt's `<metadata>`. */
export const NIMBUS_XML_NAMESPACE = "https://nimbus.dev/xmlns/libvirt/instance/1";

/** libvirt's `<domain type>`: the test driver's own type, or QEMU's TCG (nested KVM is unreliable). */
export type DomainType = "test" | "qemu";

export interface DomainXmlInput {
  command: SpawnCommand;
  domainType: DomainType;
  nics: NicSpec[];
  blockDevices: BlockDevices;
  /**
   * The address the guest's VNC display listens on (NIMBUS_VNC_SERVER_LISTEN); absent: no
   * display (the test driver, which runs no guest, has none to give).
   */
  vncListen?: string | null;
}

/**
 * Where the config drive CD-ROM goes. Debian's cloud kernel has no AHCI (SATA) driver, so, as
 * on Nova's default x86 machine type, the drive sits on IDE of the i440fx (`pc`) machine.
 */
export const CONFIG_DRIVE_TARGET = { dev: "hdd", bus: "ide" } as const;

/**
 * QEMU runs as root and libvirt relabels nothing (scripts/test-image/README.md): with libvirt's
 * default dynamic ownership it would chown the shared cached bases, kernels and ramdisks to its
 * QEMU user and never give them back, and QEMU could not reach a state dir private to root.
 */
export const QEMU_SECLABEL = "<seclabel type='static' model='dac' relabel='no'><label>+0:+0</label></seclabel>";

/**
 * The libvirt name of an instance's domain. Built from the instance id, never from the user's
 * instance name, so it is always 43 characters of `[a-f0-9-]` whatever the user typed.
 */
export function domainName(instanceId: string): string {
  return `nimbus-${instanceId.toLowerCase()}`;
}

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates, U+FFFE/F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters XML refuses are what this matches
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for element content and for attribute values in either quote style. Characters
 * XML cannot carry become U+FFFD, so a user's instance name can never make the XML invalid.
 */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD").replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? c);
}

/** One NIC per port, attached as NIMBUS_VIF says; none when it says `none`. */
export function nicsFor(vif: Vif, ports: SpawnCommand["ports"]): NicSpec[] {
  if (vif.kind === "none") return [];
  return ports.map((port) => ({ portId: port.id, vif, macAddress: port.macAddress, filter: null }));
}

/**
 * The domain of an instance. The root disk (`vda`: the overlay, or the boot volume) and the
 * volumes are virtio disks; the config drive a read-only CD-ROM; a direct-kernel-boot image
 * boots its kernel and ramdisk with the image's command line, as given; the serial console is
 * written to the instance's console log; the screen is a VNC display (`vncListen`).
 */
export function buildDomainXml({ command, domainType, nics, blockDevices, vncListen }: DomainXmlInput): string {
  const { instance } = command;
  const lines = [
    `<domain type='${domainType}'>`,
    `  <name>${escapeXml(domainName(instance.id))}</name>`,
    `  <uuid>${escapeXml(instance.id.toLowerCase())}</uuid>`,
    `  <metadata>`,
    `    <nimbus:instance xmlns:nimbus='${NIMBUS_XML_NAMESPACE}'>`,
    `      <nimbus:name>${escapeXml(instance.name)}</nimbus:name>`,
    `    </nimbus:instance>`,
    `  </metadata>`,
    `  <memory unit='KiB'>${instance.memoryMb * 1024}</memory>`,
    `  <vcpu placement='static'>${instance.vcpus}</vcpu>`,
    ...osXml(command, blockDevices),
    `  <features>`,
    `    <acpi/>`,
    `    <apic/>`,
    `  </features>`,
    `  <clock offset='utc'/>`,
    `  <on_poweroff>destroy</on_poweroff>`,
    `  <on_reboot>restart</on_reboot>`,
    `  <on_crash>destroy</on_crash>`,
    `  <devices>`,
    ...blockDevices.disks.flatMap(diskXml),
    ...(blockDevices.configDrive ? cdromXml(blockDevices.configDrive) : []),
    ...nics.flatMap(interfaceXml),
    ...(blockDevices.consoleLog ? consoleXml(blockDevices.consoleLog) : []),
    ...(vncListen ? graphicsXml(vncListen) : []),
    `  </devices>`,
    ...(domainType === "qemu" ? [`  ${QEMU_SECLABEL}`] : []),
    `</domain>`,
  ];
  return `${lines.join("\n")}\n`;
}

function osXml(command: SpawnCommand, { kernel, ramdisk }: BlockDevices): string[] {
  const boot = kernel
    ? [
        `    <kernel>${escapeXml(kernel)}</kernel>`,
        ...(ramdisk ? [`    <initrd>${escapeXml(ramdisk)}</initrd>`] : []),
        ...(command.kernelCommandLine ? [`    <cmdline>${escapeXml(command.kernelCommandLine)}</cmdline>`] : []),
      ]
    : [`    <boot dev='hd'/>`];
  return [`  <os>`, `    <type arch='x86_64' machine='pc'>hvm</type>`, ...boot, `  </os>`];
}

function diskXml({ device, file, volumeId }: DiskSpec): string[] {
  return [
    `    <disk type='file' device='disk'>`,
    `      <driver name='qemu' type='qcow2'/>`,
    `      <source file='${escapeXml(file)}'/>`,
    `      <target dev='${escapeXml(device)}' bus='virtio'/>`,
    ...(volumeId ? [`      <serial>${escapeXml(volumeId)}</serial>`] : []),
    `    </disk>`,
  ];
}

function cdromXml(file: string): string[] {
  return [
    `    <disk type='file' device='cdrom'>`,
    `      <driver name='qemu' type='raw'/>`,
    `      <source file='${escapeXml(file)}'/>`,
    `      <target dev='${CONFIG_DRIVE_TARGET.dev}' bus='${CONFIG_DRIVE_TARGET.bus}'/>`,
    `      <readonly/>`,
    `    </disk>`,
  ];
}

function interfaceXml({ vif, macAddress, filter }: NicSpec): string[] {
  const source =
    vif.kind === "network"
      ? [`      <source network='${escapeXml(vif.name)}'/>`]
      : vif.kind === "bridge"
        ? [`      <source bridge='${escapeXml(vif.name)}'/>`]
        : [];
  return [
    `    <interface type='${vif.kind}'>`,
    ...source,
    `      <mac address='${escapeXml(macAddress)}'/>`,
    `      <model type='virtio'/>`,
    ...(filter ? [`      <filterref filter='${escapeXml(filter)}'/>`] : []),
    `    </interface>`,
  ];
}

/**
 * The first serial port written to the console log, and the domain's console on that port. The
 * log is appended to, never truncated at a start, so byte offsets stay valid across restarts.
 */
function consoleXml(path: string): string[] {
  const source = `      <source path='${escapeXml(path)}' append='on'/>`;
  return [
    `    <serial type='file'>`,
    source,
    `      <target port='0'/>`,
    `    </serial>`,
    `    <console type='file'>`,
    source,
    `      <target type='serial' port='0'/>`,
    `    </console>`,
  ];
}

/**
 * The guest's screen: a VNC display on the port libvirt picks (from 5900 up, `autoport`), bound
 * to `listen` only (host-local unless the operator says otherwise), which the console proxy of
 * the web servers reaches. TCP rather than a UNIX socket: the proxy may run on another machine.
 * libvirt adds the default VGA card and PS/2 keyboard and mouse to go with it.
 */
function graphicsXml(listen: string): string[] {
  return [
    `    <graphics type='vnc' port='-1' autoport='yes' listen='${escapeXml(listen)}'>`,
    `      <listen type='address' address='${escapeXml(listen)}'/>`,
    `    </graphics>`,
  ];
}

/**
 * The port of a running domain's VNC display, read from its live XML (libvirt fills in the port
 * it picked); null when the domain has no VNC display or it has no port yet (not running).
 */
export function vncPortOf(liveXml: string): number | null {
  for (const element of liveXml.matchAll(/<graphics\b[^>]*>/g)) {
    const attributes = element[0];
    if (!/\btype=(['"])vnc\1/.test(attributes)) continue;
    const port = /\bport=(['"])(-?\d+)\1/.exec(attributes)?.[2];
    const n = port === undefined ? Number.NaN : Number(port);
    return Number.isInteger(n) && n > 0 && n <= 65535 ? n : null;
  }
  return null;
}
