/**
 * libvirt's own command-line client, for what the Node bindings lack (networks, nwfilters).
 * Always run through execFile with an argument list, never a shell string.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { childProcessEnv } from "../env";

/** A single virsh call must not hang the agent (libvirtd restarting, say). */
const VIRSH_TIMEOUT_MS = 60_000;

/** A virsh call that failed; `stderr` holds libvirt's own words. */
export class VirshError extends Error {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(`virsh ${args.join(" ")} failed: ${stderr.replace(/^error:\s*/gm, "").replace(/\s+/g, " ").trim() || "no message"}`, options);
    this.name = "VirshError";
  }
}

export type Virsh = (...args: string[]) => Promise<string>;

/** Runs `virsh -c <uri> <args…>` and resolves with its standard output. */
export function virshFor(uri: string): Virsh {
  return (...args) =>
    new Promise((resolve, reject) => {
      // LC_ALL=C: libvirt's messages in English, which is what callers match "not found" in.
      const options = { timeout: VIRSH_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: childProcessEnv() };
      execFile("virsh", ["-c", uri, ...args], options, (error, stdout, stderr) => {
        if (error) reject(new VirshError(args, stderr || error.message, { cause: error }));
        else resolve(stdout);
      });
    });
}

/** Runs `action` with the path of a private temporary file holding `content` (virsh *-define read files). */
export async function withXmlFile<T>(content: string, action: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-virsh-"));
  try {
    const file = path.join(dir, "definition.xml");
    await writeFile(file, content, { mode: 0o600 });
    return await action(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
