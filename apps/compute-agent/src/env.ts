/**
 * The agent's configuration, validated once at start. This is the only module that reads
 * `process.env`; everything else receives what it needs as arguments.
 */
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { agentHandshakeSchema, consoleHostSchema, hostnameSchema } from "@nimbus/core/protocol/agent";
import { enrollRequestSchema } from "@nimbus/core/protocol/http";
import type { Vif } from "./driver/types";
import { DEFAULT_IMAGE_CACHE_PRUNING } from "./image-cache";
import type { SecretSource } from "./secret";
import { simulatedHostname, simulatedTunnelAddress } from "./simulation";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** NIMBUS_SIMULATED_HOSTS: one process runs this many hosts on private libvirt test drivers. */
export interface Simulation {
  hosts: number;
  vcpus: number;
  memoryMb: number;
}

export interface Env {
  /** Tried in turn (round-robin) whenever a connection fails or drops. */
  serverUrls: string[];
  secretSource: SecretSource;
  /** The host credential from enrolment; when the file exists, it is used instead of the secret. */
  credentialFile: string;
  /** One-time token to enrol with when there is no credential file yet. */
  joinToken: string | undefined;
  /** Unset: the default simulated host (`DEFAULT_SIMULATED_NODE` on libvirt's test driver). */
  libvirtUri: string | null;
  hostname: string;
  /** How NICs attach on the libvirt test driver; qemu hosts plug ports into Nimbus's own libvirt networks. */
  vif: Vif;
  /** Unset: the size of the file system holding the state dir (simulated hosts: 1000). */
  diskGb: number | undefined;
  stateDir: string;
  heartbeatMs: number;
  /** How often the domains' power states are read and changes reported (NIMBUS_POWER_SYNC_SECONDS). */
  powerSyncMs: number;
  /** Image cache pruning: how often, and how long an image no instance uses is kept. */
  imageCache: { pruneIntervalMs: number; minAgeMs: number };
  simulation: Simulation | null;
  /**
   * This host's VXLAN tunnel address (NIMBUS_TUNNEL_IP), reported when it registers: tenant
   * networks reach the other hosts through it. Null: they stay on this host. In simulation mode
   * the first simulated host takes it and each next one the next address.
   */
  tunnelAddress: string | null;
  /**
   * TEST ONLY (NIMBUS_TEST_ENDPOINTS): instances are veth endpoints in network namespaces named
   * `<prefix>-<8 hex>` instead of libvirt domains (the overlay's integration tests; see
   * driver/test-endpoints.ts). Null in every real deployment.
   */
  testEndpoints: string | null;
  /**
   * Provider physical networks this host has an interface for (NIMBUS_PHYSNETS, e.g.
   * `physnet1:br-ex,physnet2:eth1`, Neutron's bridge_mappings / physical_interface_mappings): a
   * router's gateway on a flat external network of one of them is a leg into that bridge; a vlan
   * network on one of them is a VLAN device on that interface. Empty: none of either here.
   */
  physicalNetworks: Map<string, string>;
  /** The prefix of the routers' network namespaces (NIMBUS_ROUTER_NETNS_PREFIX, `qrouter-`: Neutron's). */
  routerNamespacePrefix: string;
  /**
   * Guests' graphical consoles (qemu hosts): the address their VNC servers listen on (Nova's
   * `[vnc] server_listen`) and the address the web servers' console proxy reaches them at
   * (`server_proxyclient_address`), which the agent reports with each display's port.
   */
  vnc: VncAddresses;
  logLevel: z.infer<typeof logLevelSchema>;
}

export interface VncAddresses {
  listen: string;
  proxyclientAddress: string;
}

/** Host-local by default: a guest's screen is reachable from this machine only. */
export const DEFAULT_VNC_ADDRESSES: VncAddresses = { listen: "127.0.0.1", proxyclientAddress: "127.0.0.1" };

/** Listen addresses that mean every address of the host: no address the proxy could connect to. */
const WILDCARD_ADDRESSES = ["0.0.0.0", "::"];

const logLevelSchema = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

const vifSchema = z.string().transform((value, ctx): Vif => {
  if (value === "user" || value === "none") return { kind: value };
  const kind = value.slice(0, value.indexOf(":"));
  const name = value.slice(kind.length + 1);
  if ((kind === "network" || kind === "bridge") && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) return { kind, name };
  ctx.addIssue({ code: "custom", message: "must be user, none, network:<name> or bridge:<name>" });
  return z.NEVER;
});

const serverUrlsSchema = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((url) => url.trim())
      .filter((url) => url !== ""),
  )
  .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be http(s) URLs, separated by commas" })).min(1, "must name at least one server"));

const envSchema = z
  .object({
    /** Unset: the web server that HOST and PORT name, as `npm start` runs it beside this agent. */
    NIMBUS_SERVER_URL: serverUrlsSchema,
    HOST: z.string().default("127.0.0.1"),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    NIMBUS_AGENT_SECRET: agentHandshakeSchema.shape.secret.optional(),
    /** Unset: `<NIMBUS_DATA_DIR>/agent-secret`, the file the web server of `npm start` writes. */
    NIMBUS_AGENT_SECRET_FILE: z.string().optional(),
    /** The web server's data directory (as `npm start` runs both): where the agent finds the secret and keeps its state. */
    NIMBUS_DATA_DIR: z.string().default(path.join(repoRoot, ".data")),
    NIMBUS_CREDENTIAL_FILE: z.string().optional(),
    NIMBUS_JOIN_TOKEN: enrollRequestSchema.shape.joinToken.optional(),
    NIMBUS_LIBVIRT_URI: z
      .string()
      .regex(/^(test|qemu)(\+[a-z]+)?:\/\//, "must be a test:// or qemu:// libvirt URI")
      .optional(),
    // prefault, unlike default, validates the fallback: os.hostname() may not be a DNS name.
    NIMBUS_HOSTNAME: hostnameSchema.prefault(os.hostname()),
    NIMBUS_VIF: z.string().default("user").pipe(vifSchema),
    NIMBUS_DISK_GB: z.coerce.number().int().nonnegative().optional(),
    NIMBUS_STATE_DIR: z.string().optional(),
    NIMBUS_HEARTBEAT_MS: z.coerce.number().int().positive().default(5000),
    /** Nova's sync_power_state_interval (a guest shut down from inside shows SHUTOFF within it). */
    NIMBUS_POWER_SYNC_SECONDS: z.coerce.number().positive().max(86_400).default(10),
    /** Nova's image_cache.manager_interval and remove_unused_original_minimum_age_seconds. */
    NIMBUS_IMAGE_CACHE_PRUNE_INTERVAL_SECONDS: z.coerce
      .number()
      .int()
      .min(10)
      .default(DEFAULT_IMAGE_CACHE_PRUNING.pruneIntervalMs / 1000),
    // At least a minute: an image just taken for a build must outlive the build's first steps.
    NIMBUS_IMAGE_CACHE_MIN_AGE_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .default(DEFAULT_IMAGE_CACHE_PRUNING.minAgeMs / 1000),
    NIMBUS_SIMULATED_HOSTS: z.coerce.number().int().min(1).max(1000).optional(),
    NIMBUS_SIM_VCPUS: z.coerce.number().int().positive().max(1_000_000).default(32),
    NIMBUS_SIM_MEMORY_MB: z.coerce.number().int().positive().max(1_000_000_000).default(131072),
    NIMBUS_TUNNEL_IP: z.ipv4({ error: "must be an IPv4 address of this host" }).optional(),
    NIMBUS_TEST_ENDPOINTS: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, "must be a network namespace prefix: a lower-case letter, then up to 15 of a-z, 0-9 and -")
      .optional(),
    NIMBUS_PHYSNETS: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9][A-Za-z0-9_.-]{0,14}(,[A-Za-z0-9][A-Za-z0-9_.-]{0,63}:[A-Za-z0-9][A-Za-z0-9_.-]{0,14})*$/,
        "must be physical networks and their bridges or interfaces, as physnet1:br-ex,physnet2:eth1",
      )
      .optional(),
    NIMBUS_ROUTER_NETNS_PREFIX: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,39}$/, "must be a network namespace prefix: a lower-case letter, then up to 39 of a-z, 0-9 and -")
      .default("qrouter-"),
    NIMBUS_VNC_SERVER_LISTEN: z.union([z.ipv4(), z.ipv6()], "must be an IP address").default(DEFAULT_VNC_ADDRESSES.listen),
    NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS: consoleHostSchema.optional(),
    LOG_LEVEL: logLevelSchema.default("info"),
  })
  .superRefine((env, ctx) => {
    if (env.NIMBUS_TEST_ENDPOINTS !== undefined && !(env.NIMBUS_LIBVIRT_URI ?? "").startsWith("qemu")) {
      ctx.addIssue({ code: "custom", path: ["NIMBUS_TEST_ENDPOINTS"], message: "needs a qemu:// NIMBUS_LIBVIRT_URI (its networks and filters)" });
    }
    if (WILDCARD_ADDRESSES.includes(env.NIMBUS_VNC_SERVER_LISTEN) && env.NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS"],
        message: "must be set when NIMBUS_VNC_SERVER_LISTEN listens on every address: it is where the web servers reach this host's guests' screens",
      });
    }
    const physnets = (env.NIMBUS_PHYSNETS ?? "")
      .split(",")
      .filter(Boolean)
      .map((pair) => pair.split(":")[0]);
    if (new Set(physnets).size !== physnets.length) {
      ctx.addIssue({ code: "custom", path: ["NIMBUS_PHYSNETS"], message: "names a physical network twice" });
    }
    if (env.NIMBUS_SIMULATED_HOSTS === undefined) return;
    if (env.NIMBUS_TEST_ENDPOINTS !== undefined) {
      ctx.addIssue({ code: "custom", path: ["NIMBUS_TEST_ENDPOINTS"], message: "cannot be used with NIMBUS_SIMULATED_HOSTS" });
    }
    if (env.NIMBUS_JOIN_TOKEN !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["NIMBUS_JOIN_TOKEN"],
        message: "cannot be used with NIMBUS_SIMULATED_HOSTS: a join token enrols one host (simulated hosts use the shared secret)",
      });
    }
    if (env.NIMBUS_TUNNEL_IP !== undefined && simulatedTunnelAddress(env.NIMBUS_TUNNEL_IP, env.NIMBUS_SIMULATED_HOSTS) === null) {
      ctx.addIssue({ code: "custom", path: ["NIMBUS_TUNNEL_IP"], message: "leaves too few addresses after it for every simulated host" });
    }
    if (!hostnameSchema.safeParse(simulatedHostname(env.NIMBUS_HOSTNAME, env.NIMBUS_SIMULATED_HOSTS)).success) {
      ctx.addIssue({ code: "custom", path: ["NIMBUS_HOSTNAME"], message: "is too long to name the simulated hosts (<hostname>-sim-<n>)" });
    }
  });

/** The web server's URL from its own HOST and PORT (an address it listens on everywhere is reached on loopback). */
function webServerUrl(host = "127.0.0.1", port = "3000"): string {
  const reachable = host === "0.0.0.0" || host === "::" || host === "" ? "127.0.0.1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

export type EnvResult = { ok: true; env: Env } | { ok: false; issues: string[] };

/** Validates the given variables; issues name the variable and the rule, never the value. */
export function parseEnv(variables: Record<string, string | undefined>): EnvResult {
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const raw: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(variables).filter(([, value]) => value !== undefined && value !== ""),
  );
  raw.NIMBUS_SERVER_URL ??= webServerUrl(raw.HOST, raw.PORT);
  const parsed = envSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`) };
  const env = parsed.data;
  // Relative paths are the user's: npm runs this in apps/compute-agent, but INIT_CWD is where they typed the command.
  const userDir = raw.INIT_CWD ?? process.cwd();
  const fromUser = (file: string) => path.resolve(userDir, file);
  const dataDir = fromUser(env.NIMBUS_DATA_DIR);
  const stateDir = fromUser(env.NIMBUS_STATE_DIR ?? path.join(dataDir, `agent-${env.NIMBUS_HOSTNAME}`));
  return {
    ok: true,
    env: {
      serverUrls: env.NIMBUS_SERVER_URL.map((url) => url.replace(/\/+$/, "")),
      secretSource: env.NIMBUS_AGENT_SECRET
        ? { kind: "inline", secret: env.NIMBUS_AGENT_SECRET }
        : { kind: "file", path: fromUser(env.NIMBUS_AGENT_SECRET_FILE ?? path.join(dataDir, "agent-secret")) },
      credentialFile: fromUser(env.NIMBUS_CREDENTIAL_FILE ?? path.join(stateDir, "host-credential")),
      joinToken: env.NIMBUS_JOIN_TOKEN,
      libvirtUri: env.NIMBUS_LIBVIRT_URI ?? null,
      hostname: env.NIMBUS_HOSTNAME,
      vif: env.NIMBUS_VIF,
      diskGb: env.NIMBUS_DISK_GB,
      stateDir,
      heartbeatMs: env.NIMBUS_HEARTBEAT_MS,
      powerSyncMs: env.NIMBUS_POWER_SYNC_SECONDS * 1000,
      imageCache: { pruneIntervalMs: env.NIMBUS_IMAGE_CACHE_PRUNE_INTERVAL_SECONDS * 1000, minAgeMs: env.NIMBUS_IMAGE_CACHE_MIN_AGE_SECONDS * 1000 },
      simulation:
        env.NIMBUS_SIMULATED_HOSTS === undefined
          ? null
          : { hosts: env.NIMBUS_SIMULATED_HOSTS, vcpus: env.NIMBUS_SIM_VCPUS, memoryMb: env.NIMBUS_SIM_MEMORY_MB },
      tunnelAddress: env.NIMBUS_TUNNEL_IP ?? null,
      testEndpoints: env.NIMBUS_TEST_ENDPOINTS ?? null,
      physicalNetworks: new Map(
        (env.NIMBUS_PHYSNETS ?? "")
          .split(",")
          .filter(Boolean)
          .map((pair) => pair.split(":") as [string, string]),
      ),
      routerNamespacePrefix: env.NIMBUS_ROUTER_NETNS_PREFIX,
      vnc: { listen: env.NIMBUS_VNC_SERVER_LISTEN, proxyclientAddress: env.NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS ?? env.NIMBUS_VNC_SERVER_LISTEN },
      logLevel: env.LOG_LEVEL,
    },
  };
}

/** Parses the environment, or prints what is wrong (never the values) and exits with status 1. */
export function loadEnv(): Env {
  const result = parseEnv(process.env);
  if (!result.ok) {
    console.error(`compute-agent: invalid environment\n${result.issues.map((issue) => `  ${issue}`).join("\n")}`);
    process.exit(1);
  }
  return result.env;
}

/**
 * The environment for the agent's child processes (virsh, ipset): the agent's own, with LC_ALL=C so
 * that their messages are in English, which is what callers match "not found" in.
 */
export function childProcessEnv(): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: "C" };
}
