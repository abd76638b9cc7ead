import type { SpawnCommand } from "@nimbus/core/protocol";
import type { NicSpec, Vif } from "./types";

/** Namespace of Nimbus's element inside libvirt's `<metadata>`. */
export const NIMBUS_XML_NAMESPACE = "https://nimbus.dev/xmlns/libvirt/instance/1";

/** libvirt's `<domain type>`: the test driver's own type, or QEMU's TCG (nested KVM is unreliable). */
export type DomainType = "test" | "qemu";

export interface DomainXmlInput {
  command: SpawnCommand;
  domainType: DomainType;
  nic: NicSpec | null;
  /** File the guest's serial console is written to; null when the hypervisor has no console. */
  consoleLogPath: string | null;
}

/**
 * The libvirt name of an instance's domain. Built from the instance id, never from the user's
 * instance name, so it is always 43 characters of `[a-f0-9-]` whatever the user typed.
 */
export function domainName(instanceId: string): string {
  return `nimbus-${instanceId.toLowerCase()}`;
}

const XML_ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates, U+FFFE/F). */
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for element content and for attribute values in either quote style. Characters
 * XML cannot carry become U+FFFD, so a user's instance name can never make the XML invalid.
 */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHAR, "\uFFFD").replace(/[&<>"']/g, (c) => XML_ENTITIES[c] ?? c);
}

/** The guest's NIC, or null when the instance has no network or the host is set to `none`. */
export function nicFor(vif: Vif, network: SpawnCommand["network"]): NicSpec | null {
  if (network === null || vif.kind === "none") return null;
  return { vif, macAddress: network.macAddress };
}

export function buildDomainXml({ command, domainType, nic, consoleLogPath }: DomainXmlInput): string {
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
    `  <os>`,
    `    <type arch='x86_64'>hvm</type>`,
    `  </os>`,
    `  <devices>`,
    ...(nic ? interfaceXml(nic) : []),
    ...(consoleLogPath ? serialXml(consoleLogPath) : []),
    `  </devices>`,
    `</domain>`,
  ];
  return lines.join("\n") + "\n";
}

function interfaceXml({ vif, macAddress }: NicSpec): string[] {
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
    `    </interface>`,
  ];
}

function serialXml(path: string): string[] {
  return [`    <serial type='file'>`, `      <source path='${escapeXml(path)}'/>`, `      <target port='0'/>`, `    </serial>`];
}
