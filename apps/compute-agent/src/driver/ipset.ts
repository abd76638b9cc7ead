/**
 * Linux ipsets (the `ipset` tool), where a port filter keeps a remote security group's member
 * addresses (Neutron's ipset enhancement): a rule names the set, and a membership change
 * replaces the set's contents in the kernel without touching any filter. A set's contents go
 * in a private temporary file.
 */
import { runTool, withPrivateFile } from "./tool";

/** An ipset call that failed; `stderr` holds the tool's own words. */
export class IpsetError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`ipset ${args.join(" ")} failed: ${stderr.replace(/\s+/g, " ").trim() || "no message"}`, options);
    this.name = "IpsetError";
  }
}

function ipset(...args: string[]): Promise<string> {
  return runTool("ipset", args, (stderr, cause) => new IpsetError(args, stderr, { cause }));
}

export async function setExists(name: string): Promise<boolean> {
  try {
    await ipset("list", "-name", name);
    return true;
  } catch (error) {
    if (error instanceof IpsetError && /does not exist/i.test(error.stderr)) return false;
    throw error;
  }
}

/** Creates the set `name` (IPv4 networks) holding `cidrs`, unless it exists (its contents then stay). */
export async function ensureSet(name: string, cidrs: string[]): Promise<void> {
  if (await setExists(name)) return;
  await restore([`create ${name} hash:net family inet -exist`, ...cidrs.map((cidr) => `add ${name} ${cidr} -exist`)]);
}

/** Makes the set `name` hold exactly `cidrs`, in one swap (rules naming it never see it half-filled). */
export async function replaceSet(name: string, cidrs: string[]): Promise<void> {
  const next = `${name}-n`;
  await restore([
    `create ${next} hash:net family inet -exist`,
    `flush ${next}`,
    ...cidrs.map((cidr) => `add ${next} ${cidr} -exist`),
    `create ${name} hash:net family inet -exist`,
    `swap ${next} ${name}`,
    `destroy ${next}`,
  ]);
}

/** The sets whose name starts with `prefix` that no kernel rule references now. */
export async function unreferencedSets(prefix: string): Promise<string[]> {
  const listing = await ipset("list", "-terse");
  const unreferenced: string[] = [];
  for (const block of listing.split(/\n(?=Name: )/)) {
    const name = /^Name: (\S+)/m.exec(block)?.[1];
    const references = Number(/^References: (\d+)/m.exec(block)?.[1] ?? NaN);
    if (name?.startsWith(prefix) && references === 0) unreferenced.push(name);
  }
  return unreferenced;
}

/** Destroys the set `name`; one that is gone, or that a rule took up meanwhile (the kernel refuses), is left. */
export async function destroySet(name: string): Promise<boolean> {
  try {
    await ipset("destroy", name);
    return true;
  } catch (error) {
    if (error instanceof IpsetError && /does not exist|in use/i.test(error.stderr)) return false;
    throw error;
  }
}

async function restore(lines: string[]): Promise<void> {
  await withPrivateFile("restore", `${lines.join("\n")}\n`, (file) => ipset("-file", file, "restore"));
}
