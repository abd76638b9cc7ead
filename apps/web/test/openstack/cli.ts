import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ADMIN_PASSWORD } from "../harness";

/**
 * The stock `openstack` CLI (Debian's python3-openstackclient 6.0, no plugins) pointed at a
 * Nimbus server with OS_* variables, as the README tells a user to: the integration tests of
 * the OpenStack API drive Nimbus only through it.
 */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cli {
  /** Runs `openstack <args>`; never throws on a non-zero exit (tests assert refusals). */
  run(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult>;
  /** Runs `openstack <args> -f json` and parses its output; throws with the CLI's stderr on failure. */
  json<T = unknown>(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<T>;
  /** Runs `openstack <args>` and throws with stderr unless it succeeds. */
  ok(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }): Promise<string>;
  env: Record<string, string>;
}

export function openstackCli(
  baseUrl: string,
  { user = "admin", password = ADMIN_PASSWORD, project = "admin" }: { user?: string; password?: string; project?: string } = {},
): Cli {
  // A home of its own: no clouds.yaml or cache of the machine's user is read.
  const home = mkdtempSync(path.join(tmpdir(), "nimbus-osc-"));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    OS_AUTH_URL: `${baseUrl}/identity/v3`,
    OS_IDENTITY_API_VERSION: "3",
    OS_USERNAME: user,
    OS_PASSWORD: password,
    OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: "Default",
    OS_PROJECT_DOMAIN_NAME: "Default",
    OS_INTERFACE: "public",
  };
  const run: Cli["run"] = (args, options = {}) =>
    new Promise((resolve) => {
      execFile(
        "openstack",
        args,
        { env: { NODE_ENV: "test", ...env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const ok: Cli["ok"] = async (args, options) => {
    const result = await run(args, options);
    if (result.code !== 0) throw new Error(`openstack ${args.join(" ")} failed (${result.code}):\n${result.stderr}${result.stdout}`);
    return result.stdout;
  };
  return {
    env,
    run,
    ok,
    json: async <T>(args: string[], options?: { env?: Record<string, string>; timeoutMs?: number }) =>
      JSON.parse(await ok([...args, "-f", "json"], options)) as T,
  };
}
