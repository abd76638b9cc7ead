/**
 * The agent's configuration, validated once at start. This is the only module that reads
 * `process.env`; everything else receives what it needs as arguments.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { agentHandshakeSchema } from "@nimbus/core/protocol";
import type { Vif } from "./driver/types";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** Where the agent's secret comes from: the environment, or the file the web server writes. */
export type SecretSource = { kind: "inline"; secret: string } | { kind: "file"; path: string };

export interface Env {
  serverUrl: string;
  secretSource: SecretSource;
  libvirtUri: string;
  hostname: string;
  vif: Vif;
  /** Unset: the size of the file system holding the state dir. */
  diskGb: number | undefined;
  stateDir: string;
  heartbeatMs: number;
  logLevel: z.infer<typeof logLevelSchema>;
}

const logLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const vifSchema = z.string().transform((value, ctx): Vif => {
  if (value === "user" || value === "none") return { kind: value };
  const kind = value.slice(0, value.indexOf(":"));
  const name = value.slice(kind.length + 1);
  if ((kind === "network" || kind === "bridge") && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) return { kind, name };
  ctx.addIssue({ code: "custom", message: "must be user, none, network:<name> or bridge:<name>" });
  return z.NEVER;
});

const envSchema = z.object({
  NIMBUS_SERVER_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).default("http://127.0.0.1:3000"),
  NIMBUS_AGENT_SECRET: agentHandshakeSchema.shape.secret.optional(),
  NIMBUS_AGENT_SECRET_FILE: z.string().default(path.join(repoRoot, ".data", "agent-secret")),
  NIMBUS_LIBVIRT_URI: z
    .string()
    .regex(/^(test|qemu)(\+[a-z]+)?:\/\//, "must be a test:// or qemu:// libvirt URI")
    .default("test:///default"),
  // prefault, unlike default, validates the fallback: os.hostname() may not be a DNS name.
  NIMBUS_HOSTNAME: agentHandshakeSchema.shape.hostname.prefault(os.hostname()),
  NIMBUS_VIF: z.string().default("user").pipe(vifSchema),
  NIMBUS_DISK_GB: z.coerce.number().int().nonnegative().optional(),
  NIMBUS_STATE_DIR: z.string().optional(),
  NIMBUS_HEARTBEAT_MS: z.coerce.number().int().positive().default(5000),
  LOG_LEVEL: logLevelSchema.default("info"),
});

/** Parses the environment, or prints what is wrong (never the values) and exits with status 1. */
export function loadEnv(): Env {
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const raw = Object.fromEntries(Object.entries(process.env).filter(([, value]) => value !== ""));
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
    console.error(`compute-agent: invalid environment\n${lines.join("\n")}`);
    process.exit(1);
  }
  const env = parsed.data;
  return {
    serverUrl: env.NIMBUS_SERVER_URL.replace(/\/+$/, ""),
    secretSource: env.NIMBUS_AGENT_SECRET
      ? { kind: "inline", secret: env.NIMBUS_AGENT_SECRET }
      : { kind: "file", path: path.resolve(env.NIMBUS_AGENT_SECRET_FILE) },
    libvirtUri: env.NIMBUS_LIBVIRT_URI,
    hostname: env.NIMBUS_HOSTNAME,
    vif: env.NIMBUS_VIF,
    diskGb: env.NIMBUS_DISK_GB,
    stateDir: path.resolve(env.NIMBUS_STATE_DIR ?? path.join(repoRoot, ".data", `agent-${env.NIMBUS_HOSTNAME}`)),
    heartbeatMs: env.NIMBUS_HEARTBEAT_MS,
    logLevel: env.LOG_LEVEL,
  };
}
