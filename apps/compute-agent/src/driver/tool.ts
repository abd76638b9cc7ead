/**
 * Host tools the Node bindings do not cover (virsh, ipset): always run through execFile with
 * an argument list, never a shell string, and bounded in time so a stuck daemon cannot hang
 * the agent.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { childProcessEnv } from "../env";

/** A single call must not hang the agent (libvirtd restarting, say). */
const TOOL_TIMEOUT_MS = 60_000;

/**
 * Runs `tool` with `args` and resolves with its standard output; a failure rejects with
 * `failure(stderr, cause)`, the tool's own words (or the spawn error's) in `stderr`.
 */
export function runTool(
  tool: string,
  args: string[],
  failure: (stderr: string, cause: Error) => Error,
  { timeoutMs = TOOL_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(tool, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: childProcessEnv() }, (error, stdout, stderr) => {
      if (error) reject(failure(stderr || error.message, error));
      else resolve(stdout);
    });
  });
}

/** Runs `action` with the path of a private temporary file (`name`) holding `content`, removed afterwards. */
export async function withPrivateFile<T>(name: string, content: string, action: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "nimbus-"));
  try {
    const file = path.join(dir, name);
    await writeFile(file, content, { mode: 0o600 });
    return await action(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
