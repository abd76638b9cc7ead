import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseVlanRanges } from "@nimbus/core/vlan-ranges";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** postgres://… ; unset → embedded PGlite under NIMBUS_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  NIMBUS_DATA_DIR: z.string().default(path.join(repoRoot, ".data")),
  /** PostgreSQL connections of the API, conductor and sweepers (Nova's max_pool_size). */
  NIMBUS_DB_CONNECTIONS: z.coerce.number().int().min(1).default(20),
  /**
   * PostgreSQL connections of the agents' channel (registration, reports, reconciliation), apart
   * from the API's, so build progress is not queued behind launches' transactions.
   */
  NIMBUS_DB_AGENT_CONNECTIONS: z.coerce.number().int().min(1).default(4),
  /** Where image bits live (Glance's filesystem store); default NIMBUS_DATA_DIR/images. */
  NIMBUS_IMAGE_STORE: z.string().optional(),
  /** The largest image upload accepted, in bytes (Glance's image_size_cap); default 20 GiB. */
  NIMBUS_IMAGE_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(20 * 1024 ** 3),
  /** Output of scripts/test-image/build.sh, seeded as the bootable test guest; default NIMBUS_DATA_DIR/test-image. */
  NIMBUS_SEED_IMAGE_DIR: z.string().optional(),
  NIMBUS_ADMIN_PASSWORD: z.string().min(8, "NIMBUS_ADMIN_PASSWORD must have at least 8 characters").optional(),
  /** Shared secret compute agents present; unset → generated once into NIMBUS_DATA_DIR/agent-secret. */
  NIMBUS_AGENT_SECRET: z.string().min(16, "NIMBUS_AGENT_SECRET must have at least 16 characters").optional(),
  /**
   * A bearer token Prometheus presents to scrape /metrics (a cloud admin's session or API token
   * works too); unset: only cloud admins may read the metrics.
   */
  NIMBUS_METRICS_TOKEN: z.string().min(16, "NIMBUS_METRICS_TOKEN must have at least 16 characters").optional(),
  NIMBUS_SESSION_IDLE_MINUTES: z.coerce.number().positive().default(30),
  NIMBUS_SESSION_ABSOLUTE_HOURS: z.coerce.number().positive().default(8),
  NIMBUS_LOCKOUT_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  NIMBUS_LOCKOUT_WINDOW_MINUTES: z.coerce.number().positive().default(15),
  /** Failed sign-ins from one client address within the window before it is slowed down (1 s, doubling per failure). */
  NIMBUS_LOCKOUT_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).default(50),
  /**
   * Reverse proxies (addresses or CIDRs, comma-separated; default none) whose X-Forwarded-For
   * names the client and whose X-Forwarded-Proto names the scheme. From anyone else those
   * headers are ignored: the peer is the client.
   */
  NIMBUS_TRUSTED_PROXIES: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    )
    .pipe(z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()], "not an IP address or CIDR"))),
  /**
   * Every live browser socket's credential is read again at least this often (a backstop: its
   * revocation, a password change or a sign-out drops it at once, and its expiry on time).
   */
  NIMBUS_SOCKET_RECHECK_SECONDS: z.coerce.number().min(1).max(60).default(30),
  NIMBUS_API_TOKEN_TTL_MINUTES: z.coerce.number().positive().default(60),
  /** A graphical console's URL not opened within this is worth nothing (Nova's `[consoleauth] token_ttl`). */
  NIMBUS_CONSOLE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(600),
  /**
   * The address clients reach this server at (`https://cloud.example.com`), for the OpenStack
   * service catalog and version documents; unset: the scheme and Host of each request.
   */
  NIMBUS_PUBLIC_URL: z
    .url()
    .transform((url) => url.replace(/\/+$/, ""))
    .optional(),
  NIMBUS_SECURE_COOKIES: z.stringbool().default(false),
  NIMBUS_BUILD_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  /**
   * An action on an instance (stop, start, reboot, pause, suspend, …) that its host acknowledged
   * and has not finished after this long (plus the graceful shutdown time) ends in the instance's
   * true state with a fault, never stuck in its task.
   */
  NIMBUS_ACTION_TIMEOUT_SECONDS: z.coerce.number().positive().default(120),
  /** How long a guest may take to shut down by itself on stop and soft reboot before it is powered off (Nova's shutdown_timeout; an image's os_shutdown_timeout property overrides it). */
  NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /** A resize or cold migration left in VERIFY_RESIZE this long is confirmed by the system (Nova's resize_confirm_window; 0: never). */
  NIMBUS_RESIZE_CONFIRM_WINDOW_SECONDS: z.coerce.number().int().min(0).default(0),
  /** Whether a resize may stay on the instance's own host (Nova's allow_resize_to_same_host). */
  NIMBUS_ALLOW_RESIZE_TO_SAME_HOST: z.stringbool().default(true),
  /** A conductor that dies mid-scheduling leaves its lease; another takes the work after this. */
  NIMBUS_CONDUCTOR_LEASE_SECONDS: z.coerce.number().positive().default(30),
  NIMBUS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /**
   * VLAN ids a vlan provider network is given when its creator names none, per physical network
   * (Neutron's network_vlan_ranges): `physnet1:100:199,physnet2:200:299`; a bare `physnet3`
   * makes a physical network known without ids to give. Unset: vlan networks name their id.
   */
  NIMBUS_NETWORK_VLAN_RANGES: z
    .string()
    .default("")
    .transform((text, ctx) => {
      try {
        return parseVlanRanges(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /**
   * A host whose agent is silent this long is down (Nova's service_down_time is 60 s). Agents
   * heartbeat every fifth of it (at most 5 s). A 500-launch burst stalled the web process's
   * event loop at most 0.5 s and an agent's 1 s, with a CPU hog on both cores: 30 s is far past
   * what a busy machine stalls, and short enough to move builds off a dead host soon.
   */
  NIMBUS_HOST_DOWN_AFTER_SECONDS: z.coerce.number().positive().default(30),
  /**
   * An agent whose connection closed (a restart, a dropped network, a web process that went
   * away) keeps its host up this long while it reconnects; at most the down time above.
   */
  NIMBUS_HOST_RECONNECT_GRACE_SECONDS: z.coerce.number().min(0).default(10),
  /** Unknown domains found on a host at reconnect are destroyed after this grace period. */
  NIMBUS_ORPHAN_GRACE_SECONDS: z.coerce.number().min(0).default(30),
  /** Accept the shared bootstrap secret from agents (single-machine installs); off: enrolled hosts only. */
  NIMBUS_AGENT_SHARED_SECRET: z.stringbool().default(true),
  /** Scheduler weigher multipliers (Nova's *_weight_multiplier); negative RAM/CPU/disk packs. */
  NIMBUS_RAM_WEIGHT_MULTIPLIER: z.coerce.number().default(1),
  NIMBUS_CPU_WEIGHT_MULTIPLIER: z.coerce.number().default(1),
  NIMBUS_DISK_WEIGHT_MULTIPLIER: z.coerce.number().default(1),
  NIMBUS_NUM_INSTANCES_WEIGHT_MULTIPLIER: z.coerce.number().default(0),
  NIMBUS_BUILD_FAILURE_WEIGHT_MULTIPLIER: z.coerce.number().default(1_000_000),
  NIMBUS_SOFT_AFFINITY_WEIGHT_MULTIPLIER: z.coerce.number().default(1),
  NIMBUS_SOFT_ANTI_AFFINITY_WEIGHT_MULTIPLIER: z.coerce.number().default(1),
  /** Pick randomly among the best N hosts (spreads concurrent requests). */
  NIMBUS_HOST_SUBSET_SIZE: z.coerce.number().int().min(1).default(1),
  NIMBUS_MAX_PLACEMENT_RESULTS: z.coerce.number().int().min(1).default(100),
  /** An image upload whose web process stopped refreshing it (killed mid-way) is given up after this. */
  NIMBUS_UPLOAD_STALL_SECONDS: z.coerce.number().positive().default(60),
  /**
   * Launch calls run at once while the event loop's delay (p90) stays at or below this, more
   * wait their turn (see server/admission.ts); 0 runs every launch call at once.
   */
  NIMBUS_LAUNCH_ADMISSION_DELAY_MS: z.coerce.number().min(0).default(5),
  NIMBUS_AGENT_ACK_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /**
   * The largest request body of an API call (tRPC, enrolment excepted: 4 KiB), in bytes. A larger
   * Content-Length is answered 413 before the body is read; a chunked body is counted as it
   * arrives. Launch user data, the largest field, is at most 64 KiB. Image bits stream through
   * their own route, limited by NIMBUS_IMAGE_MAX_BYTES.
   */
  NIMBUS_HTTP_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(64 * 1024)
    .max(64 * 1024 ** 2)
    .default(1024 ** 2),
  /** A request's headers must arrive within this (Node's headersTimeout): slow headers cannot hold connections. */
  NIMBUS_HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().default(20),
  /** An API call's body must arrive within this, or it is answered 408 and its connection closed. */
  NIMBUS_HTTP_BODY_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  /**
   * Any request must arrive whole within this (Node's requestTimeout). An image upload is one
   * request: an hour carries 20 GiB at about 6 MB/s; raise it for larger images on slow links.
   */
  NIMBUS_HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(3600),
  /**
   * An idle kept-alive connection is closed after this. 65 s outlasts the usual idle timeouts of
   * proxies and clients (60 s), which then close first: a client that sends its next request
   * just as the server closes the connection would get a reset instead of an answer.
   */
  NIMBUS_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().positive().default(65),
  /** Serve the API and sockets only (tests, or a console served elsewhere). */
  /**
   * The archive of deleted instances (nova-manage db archive_deleted_rows): those deleted more
   * than NIMBUS_ARCHIVE_AFTER_DAYS ago move to shadow_instances, NIMBUS_ARCHIVE_BATCH_SIZE per
   * transaction, at most NIMBUS_ARCHIVE_MAX_BATCHES batches a run, a run every
   * NIMBUS_ARCHIVE_INTERVAL_MINUTES (0: only on demand, `npm run archive -w apps/web`).
   */
  NIMBUS_ARCHIVE_AFTER_DAYS: z.coerce.number().min(0).default(30),
  NIMBUS_ARCHIVE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1000),
  NIMBUS_ARCHIVE_MAX_BATCHES: z.coerce.number().int().min(1).default(100),
  NIMBUS_ARCHIVE_INTERVAL_MINUTES: z.coerce.number().min(0).default(60),
  NIMBUS_HEADLESS: z.stringbool().default(false),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type Env = z.infer<typeof envSchema>;

const checkedEnvSchema = envSchema.refine((env) => env.NIMBUS_HTTP_HEADERS_TIMEOUT_SECONDS <= env.NIMBUS_HTTP_REQUEST_TIMEOUT_SECONDS, {
  path: ["NIMBUS_HTTP_HEADERS_TIMEOUT_SECONDS"],
  message: "must not exceed NIMBUS_HTTP_REQUEST_TIMEOUT_SECONDS (the headers are part of the request)",
});

/** The one place the web app reads process.env. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = checkedEnvSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid environment:\n${lines.join("\n")}`);
  }
  // Relative paths are the user's: npm runs this in apps/web, but INIT_CWD is where they typed the command.
  const userDir = source.INIT_CWD ?? process.cwd();
  const fromUser = (file: string | undefined) => (file === undefined ? undefined : path.resolve(userDir, file));
  const env = parsed.data;
  return {
    ...env,
    NIMBUS_DATA_DIR: fromUser(env.NIMBUS_DATA_DIR)!,
    NIMBUS_IMAGE_STORE: fromUser(env.NIMBUS_IMAGE_STORE),
    NIMBUS_SEED_IMAGE_DIR: fromUser(env.NIMBUS_SEED_IMAGE_DIR),
  };
}

export { repoRoot };

/** The archive job's settings, as the periodic run and the CLI use them. */
export function archiveOptions(env: Env): { olderThanSeconds: number; batchSize: number; maxBatches: number } {
  return {
    olderThanSeconds: env.NIMBUS_ARCHIVE_AFTER_DAYS * 86_400,
    batchSize: env.NIMBUS_ARCHIVE_BATCH_SIZE,
    maxBatches: env.NIMBUS_ARCHIVE_MAX_BATCHES,
  };
}
