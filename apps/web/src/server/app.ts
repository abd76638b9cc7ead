import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { Logger } from "pino";
import { Server as SocketServer } from "socket.io";
import { bootstrap } from "@nimbus/core/catalog";
import { Conductor, DEFAULT_CONDUCTOR_OPTIONS } from "@nimbus/core/conductor";
import type { Credential, Services } from "@nimbus/core/context";
import type { Principal } from "@nimbus/core/policy";
import type { IdentitySettings } from "@nimbus/core/settings";
import {
  archiveDeletedInstances,
  confirmExpiredResizes,
  failBuildsOnDownHosts,
  finishDeletesOnDownHosts,
  sweepInstanceTasks,
} from "@nimbus/core/compute";
import { expireSilentHosts } from "@nimbus/core/hosts";
import { expireStalledUploads } from "@nimbus/core/images";
import { syncNetworkEntries, syncRouters, syncSecurityGroups } from "@nimbus/core/network";
import { CONSOLE_LOG_PATH, ENROLL_PATH, IMAGE_DOWNLOAD_PATH, REMOTE_CONSOLE_WEBSOCKET_PATH, SNAPSHOT_UPLOAD_PATH } from "@nimbus/core/protocol/http";
import { checkCredential, resolveApiToken, resolveSession, type Authenticated } from "@nimbus/core/identity";
import { openDatabase, type DatabaseHandle } from "@nimbus/db";
import { agentErrorBody, enrollRoute } from "./enroll";
import { attachConsoleProxy, withConsoleCutOffs, type ConsoleProxy } from "./console-proxy";
import { consoleLogHandler } from "./console-log-download";
import { imageDownloadHandler } from "./image-download";
import { imageUploadHandler } from "./image-upload";
import { snapshotUploadHandler } from "./snapshot-upload";
import { apiErrorBody, HttpRefusal, rawRoutes } from "./http-routes";
import { archiveOptions, type Env } from "./env";
import { postgresAdapter } from "./socket/adapter";
import { readOrCreateSecret, writeSecretFile } from "./secrets";
import { clientAddress, trustedProxies } from "./client-address";
import { bearerToken, ownOrigin, refuseCrossOrigin, refuseUnsafePost, type SiteOrigin } from "./request-guards";
import { OPENSTACK_PATH, openstackRoutes } from "./openstack";
import { sessionCookies } from "./session-cookie";
import { agentGateway, attachAgentNamespace } from "./socket/agents";
import { attachBrowserNamespace, socketPublisher } from "./socket/browsers";
import { createContext, retryAfter } from "./trpc/init";
import { apiSecurityHeaders, SECURITY_HEADERS } from "./security-headers";
import { AdmissionGate, eventLoopDelayProbe } from "./admission";
import { appRouter } from "./trpc/router";
import { createMetrics, operabilityRoutes, type ProcessProbes } from "./operability";
import { AGENT_NAMESPACE } from "@nimbus/core/protocol/agent";

export interface NimbusServer {
  url: string;
  services: Services;
  database: DatabaseHandle;
  http: HttpServer;
  /** The graphical consoles' proxy on this process (how many are open). */
  consoleProxy: ConsoleProxy;
  close(): Promise<void>;
}

/**
 * How often the networks marked as changed have their forwarding entries published and sent
 * (see network-entries.ts); with nothing marked a sweep is one statement.
 */
const NETWORK_ENTRY_SWEEP_MS = 100;

/** Agents heartbeat five times per down time (at most every 5 s), so one late beat is no outage. */
const heartbeatIntervalMs = (hostDownAfterMs: number) => Math.min(5_000, Math.max(500, hostDownAfterMs / 5));

/**
 * The plain HTTP routes (http-routes.ts patterns), everything outside socket.io: the API, agent
 * enrolment, image upload and the agents' image download. The security suite sends malformed
 * URLs to each.
 */
export const HTTP_ROUTE_PATHS = {
  trpc: "/api/trpc/*",
  enroll: ENROLL_PATH,
  imageUpload: "/api/images/:imageId/file",
  imageDownload: IMAGE_DOWNLOAD_PATH(":imageId"),
  snapshotUpload: SNAPSHOT_UPLOAD_PATH(":imageId"),
  consoleLog: CONSOLE_LOG_PATH(":instanceId"),
  /** The console proxy's WebSocket (an upgrade); a plain request is answered 426. */
  remoteConsole: REMOTE_CONSOLE_WEBSOCKET_PATH,
} as const;

/**
 * Composes one Nimbus web process: database (migrated, seeded), tRPC at /api/trpc, socket.io
 * for browsers and agents, the conductor, and — unless headless — the Next.js console.
 */
export async function startNimbusServer({
  env,
  log,
  next,
}: {
  env: Env;
  log: Logger;
  /** The console's pages (Next.js); a rejection is answered 500 and logged. */
  next?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
}): Promise<NimbusServer> {
  const database = await openDatabase({
    url: env.DATABASE_URL,
    dataDir: path.join(env.NIMBUS_DATA_DIR, "pglite"),
    maxConnections: env.NIMBUS_DB_CONNECTIONS,
    applicationName: "nimbus-web",
  });
  log.info({ driver: database.driver }, "database ready (migrations applied)");
  // Agents' reports on connections of their own: with every API connection inside a launch's
  // transaction, a report would otherwise wait for one, and the progress view with it. The
  // embedded database has one connection, shared.
  const agentDatabase = env.DATABASE_URL
    ? await openDatabase({ url: env.DATABASE_URL, maxConnections: env.NIMBUS_DB_AGENT_CONNECTIONS, applicationName: "nimbus-agents", migrate: false })
    : null;

  const imageStoreDir = env.NIMBUS_IMAGE_STORE ?? path.join(env.NIMBUS_DATA_DIR, "images");
  const seeded = await bootstrap(database.db, {
    adminPassword: env.NIMBUS_ADMIN_PASSWORD,
    images: { storeDir: imageStoreDir, testImageDir: env.NIMBUS_SEED_IMAGE_DIR ?? path.join(env.NIMBUS_DATA_DIR, "test-image") },
  });
  if (seeded.generatedPassword) {
    const file = writeSecretFile(env.NIMBUS_DATA_DIR, "initial-admin-password", seeded.generatedPassword);
    // Printed once, on purpose, to the terminal only (not through the logger).
    process.stdout.write(
      `\n  Nimbus admin account created: user "${seeded.adminName}", password ${seeded.generatedPassword}\n  (also saved to ${file}, readable by this user only)\n\n`,
    );
  }
  const agentSecret = env.NIMBUS_AGENT_SHARED_SECRET ? (env.NIMBUS_AGENT_SECRET ?? readOrCreateSecret(env.NIMBUS_DATA_DIR, "agent-secret")) : null;

  const cookies = sessionCookies(env.NIMBUS_SECURE_COOKIES);
  const identity: IdentitySettings = {
    session: { idleTimeoutMs: env.NIMBUS_SESSION_IDLE_MINUTES * 60_000, absoluteTimeoutMs: env.NIMBUS_SESSION_ABSOLUTE_HOURS * 3_600_000 },
    lockout: {
      maxFailures: env.NIMBUS_LOCKOUT_MAX_FAILURES,
      windowMs: env.NIMBUS_LOCKOUT_WINDOW_MINUTES * 60_000,
      maxFailuresPerAddress: env.NIMBUS_LOCKOUT_MAX_FAILURES_PER_ADDRESS,
    },
    apiTokenTtlMs: env.NIMBUS_API_TOKEN_TTL_MINUTES * 60_000,
  };
  /**
   * A browser session cookie, or for scripts an API token in `Authorization: Bearer` /
   * `X-Auth-Token` (or a socket handshake's `auth.token`); with the raw session token, if any.
   */
  async function authenticate(
    req: IncomingMessage,
    handshakeToken?: unknown,
  ): Promise<{ authenticated: Authenticated | null; token: string | null }> {
    const apiToken = bearerToken(req) ?? (typeof handshakeToken === "string" ? handshakeToken : null);
    if (apiToken) return { authenticated: await resolveApiToken(database.db, apiToken), token: null };
    const token = cookies.read(req);
    if (!token) return { authenticated: null, token: null };
    return { authenticated: await resolveSession(database.db, token, identity.session), token };
  }
  async function resolvePrincipal(
    req: IncomingMessage,
  ): Promise<{ principal: Principal | null; token: string | null; credential: Credential | null }> {
    const { authenticated, token } = await authenticate(req);
    return { principal: authenticated?.principal ?? null, token, credential: authenticated?.credential ?? null };
  }
  /** Whose X-Forwarded-For names the client, and X-Forwarded-Proto the scheme. */
  const proxies = trustedProxies(env.NIMBUS_TRUSTED_PROXIES);
  /** Whose Origin is this site's (tRPC mutations, uploads, the socket.io handshake). */
  const site: SiteOrigin = { https: env.NIMBUS_SECURE_COOKIES, proxies };

  let conductor: Conductor | undefined;
  // socket.io's own liveness check drops only a connection that is surely dead (25 s without a
  // pong): a closed one is noticed at once anyway, and a silent host is declared down by its
  // missing heartbeats (NIMBUS_HOST_DOWN_AFTER_SECONDS), not by a few seconds of a busy event loop.
  const io = new SocketServer({
    serveClient: false,
    pingInterval: 5_000,
    pingTimeout: 20_000,
    destroyUpgrade: false,
    // A page of another origin (another port of this host is the same site, so the Lax cookie
    // goes with it) must not open a socket as the user: the handshake obeys the mutations' rule.
    allowRequest: (req, callback) => {
      const refusal = refuseCrossOrigin(req, site);
      callback(refusal?.error ?? null, refusal === null);
    },
  });
  const adapter = env.DATABASE_URL ? await postgresAdapter(env.DATABASE_URL, log) : null;
  if (adapter) io.adapter(adapter.adapter);
  let consoles: ReturnType<typeof attachConsoleProxy> | undefined;
  let launchAdmission: AdmissionGate | undefined;
  const probes: ProcessProbes = {
    conductor: () => conductor?.health() ?? { running: false, lastClaimMsAgo: null },
    agentConnections: () => io.of(AGENT_NAMESPACE).sockets.size,
    browserConnections: () => io.of("/").sockets.size,
    admission: () => ({ limit: launchAdmission?.limit ?? 0, running: launchAdmission?.running ?? 0, waiting: launchAdmission?.waiting ?? 0 }),
  };
  const metrics = createMetrics({ db: database.db, probes });
  const services: Services = {
    db: database.db,
    // A credential's end drops its browser sockets and ends the graphical consoles it opened.
    publisher: metrics.observe(
      withConsoleCutOffs(
        socketPublisher(() => browsers),
        (cut) => consoles?.cutOff(cut),
      ),
    ),
    telemetry: metrics.telemetry,
    agents: agentGateway(() => agents, env.NIMBUS_AGENT_ACK_TIMEOUT_MS),
    buildRequested: () => conductor?.kick(),
    imageStoreDir,
    hostDownAfterMs: env.NIMBUS_HOST_DOWN_AFTER_SECONDS * 1000,
    hostReconnectGraceMs: env.NIMBUS_HOST_RECONNECT_GRACE_SECONDS * 1000,
    uploadStallMs: env.NIMBUS_UPLOAD_STALL_SECONDS * 1000,
    consoleTokenTtlMs: env.NIMBUS_CONSOLE_TOKEN_TTL_SECONDS * 1000,
    buildTimeoutMs: env.NIMBUS_BUILD_TIMEOUT_SECONDS * 1000,
    actionTimeoutMs: env.NIMBUS_ACTION_TIMEOUT_SECONDS * 1000,
    shutdownTimeoutSeconds: env.NIMBUS_SHUTDOWN_TIMEOUT_SECONDS,
    maxAttempts: env.NIMBUS_MAX_ATTEMPTS,
    allowResizeToSameHost: env.NIMBUS_ALLOW_RESIZE_TO_SAME_HOST,
    resizeConfirmWindowMs: env.NIMBUS_RESIZE_CONFIRM_WINDOW_SECONDS * 1000,
    identity,
    networkVlanRanges: env.NIMBUS_NETWORK_VLAN_RANGES,
    scheduler: {
      multipliers: {
        ram: env.NIMBUS_RAM_WEIGHT_MULTIPLIER,
        cpu: env.NIMBUS_CPU_WEIGHT_MULTIPLIER,
        disk: env.NIMBUS_DISK_WEIGHT_MULTIPLIER,
        instanceCount: env.NIMBUS_NUM_INSTANCES_WEIGHT_MULTIPLIER,
        buildFailure: env.NIMBUS_BUILD_FAILURE_WEIGHT_MULTIPLIER,
        softAffinity: env.NIMBUS_SOFT_AFFINITY_WEIGHT_MULTIPLIER,
        softAntiAffinity: env.NIMBUS_SOFT_ANTI_AFFINITY_WEIGHT_MULTIPLIER,
      },
      hostSubsetSize: env.NIMBUS_HOST_SUBSET_SIZE,
      maxCandidates: env.NIMBUS_MAX_PLACEMENT_RESULTS,
    },
  };
  const browsers = attachBrowserNamespace(io, {
    authenticate: async (req, handshakeToken) => (await authenticate(req, handshakeToken)).authenticated,
    checkCredential: (credential) => checkCredential(database.db, credential, identity.session),
    recheckIntervalMs: env.NIMBUS_SOCKET_RECHECK_SECONDS * 1000,
    log: log.child({ component: "browser-socket" }),
  });
  const agents = attachAgentNamespace(io, {
    services: agentDatabase ? { ...services, db: agentDatabase.db } : services,
    secret: agentSecret,
    log: log.child({ component: "agent-socket" }),
    heartbeatIntervalMs: heartbeatIntervalMs(env.NIMBUS_HOST_DOWN_AFTER_SECONDS * 1000),
    orphanGraceMs: env.NIMBUS_ORPHAN_GRACE_SECONDS * 1000,
  });
  const imageUpload = imageUploadHandler({
    services,
    resolvePrincipal,
    site,
    clientAddress: (req) => clientAddress(req, proxies),
    maxBytes: env.NIMBUS_IMAGE_MAX_BYTES,
    log: log.child({ component: "image-upload" }),
  });
  const consoleLog = consoleLogHandler({ services, resolvePrincipal, clientAddress: (req) => clientAddress(req, proxies) });
  const imageDownload = imageDownloadHandler({ services, agentSecret, resolvePrincipal, log: log.child({ component: "image-download" }) });
  const snapshotUpload = snapshotUploadHandler({
    services,
    agentSecret,
    resolvePrincipal,
    clientAddress: (req) => clientAddress(req, proxies),
    maxBytes: env.NIMBUS_IMAGE_MAX_BYTES,
    log: log.child({ component: "snapshot-upload" }),
  });

  launchAdmission = new AdmissionGate({ targetDelayMs: env.NIMBUS_LAUNCH_ADMISSION_DELAY_MS, loopDelay: eventLoopDelayProbe() });
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    // A chunked body declares no length: tRPC counts it and answers 413 past the limit.
    maxBodySize: env.NIMBUS_HTTP_MAX_BODY_BYTES,
    createContext: (opts) =>
      createContext(
        { services, resolvePrincipal, clientAddress: (req) => clientAddress(req, proxies), sessionCookie: cookies.serialize, launchAdmission },
        opts,
      ),
    // After a 413 the rest of the body is still on its way: the connection cannot carry another request.
    responseMeta: ({ errors }) => {
      const headers = { ...retryAfter(errors)?.headers, ...(errors.some((e) => e.code === "PAYLOAD_TOO_LARGE") ? { connection: "close" } : {}) };
      return { headers };
    },
    onError({ error, path: procedurePath }) {
      if (error.code === "INTERNAL_SERVER_ERROR") log.error({ err: error.cause ?? error, path: procedurePath }, "procedure failed");
    },
  });

  /** Set once close() begins: every answer from then on closes its connection. */
  let closing = false;
  const routes = rawRoutes({
    log: log.child({ component: "http" }),
    bodyTimeoutMs: env.NIMBUS_HTTP_BODY_TIMEOUT_SECONDS * 1000,
    routes: [
      {
        path: HTTP_ROUTE_PATHS.trpc,
        methods: ["GET", "POST"],
        maxBodyBytes: env.NIMBUS_HTTP_MAX_BODY_BYTES,
        errorBody: apiErrorBody,
        handle({ req, res }) {
          // Mutations are JSON POSTs only (tRPC never mutates on GET); a form cannot send JSON,
          // and a browser's cross-site POST is refused by its Origin.
          const refusal = req.method === "POST" ? refuseUnsafePost(req, site) : null;
          if (refusal) throw new HttpRefusal(refusal.status, refusal.status === 415 ? "UnsupportedMediaType" : "Forbidden", refusal.error);
          return trpc(req, res);
        },
      },
      enrollRoute(services, log.child({ component: "enrolment" }), (req) => clientAddress(req, proxies)),
      {
        path: HTTP_ROUTE_PATHS.imageUpload,
        methods: ["PUT"],
        // Streamed to the image store and limited by NIMBUS_IMAGE_MAX_BYTES (image-upload.ts).
        maxBodyBytes: null,
        errorBody: apiErrorBody,
        handle: ({ req, res, params }) => imageUpload(req, res, params.imageId!),
      },
      {
        path: HTTP_ROUTE_PATHS.imageDownload,
        methods: ["GET", "HEAD"],
        maxBodyBytes: 0,
        errorBody: agentErrorBody,
        handle: ({ req, res, params }) => imageDownload(req, res, params.imageId!),
      },
      {
        path: HTTP_ROUTE_PATHS.snapshotUpload,
        methods: ["PUT"],
        // Streamed to the image store and limited by NIMBUS_IMAGE_MAX_BYTES (snapshot-upload.ts).
        maxBodyBytes: null,
        errorBody: agentErrorBody,
        handle: ({ req, res, params }) => snapshotUpload(req, res, params.imageId!),
      },
      {
        path: HTTP_ROUTE_PATHS.consoleLog,
        methods: ["GET"],
        maxBodyBytes: 0,
        errorBody: apiErrorBody,
        handle: ({ req, res, params }) => consoleLog(req, res, params.instanceId!),
      },
      {
        // The console proxy takes its WebSocket's upgrade (console-proxy/); a plain request gets nowhere.
        path: HTTP_ROUTE_PATHS.remoteConsole,
        methods: ["GET"],
        maxBodyBytes: 0,
        errorBody: apiErrorBody,
        handle() {
          throw new HttpRefusal(426, "UpgradeRequired", "This is the graphical console's WebSocket: open the console from the instance page.", {
            upgrade: "websocket",
          });
        },
      },
      // /healthz, /readyz and /metrics for load balancers, orchestrators and Prometheus.
      ...operabilityRoutes({ db: database.db, metrics, probes, metricsToken: env.NIMBUS_METRICS_TOKEN, resolvePrincipal }),
      // The OpenStack APIs (Keystone, Nova, Glance, Neutron, Cinder), each under its prefix.
      ...openstackRoutes(
        {
          services,
          clientAddress: (req) => clientAddress(req, proxies),
          baseUrl: (req) => env.NIMBUS_PUBLIC_URL ?? ownOrigin(req, site) ?? `http://${env.HOST}:${env.PORT}`,
          imageMaxBytes: env.NIMBUS_IMAGE_MAX_BYTES,
          log: log.child({ component: "openstack-api" }),
          launchAdmission,
        },
        identity,
      ),
    ],
    pages: next ? (req, res) => next(req, res) : undefined,
  });
  const http = createServer(
    {
      headersTimeout: env.NIMBUS_HTTP_HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeout: env.NIMBUS_HTTP_REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeout: env.NIMBUS_HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      // Node checks the two timeouts above this often (30 s by default, which would let a slow
      // client hold its connection half a minute past them).
      connectionsCheckingInterval: 1_000,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      if (closing) res.setHeader("connection", "close");
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
      if (req.url?.startsWith("/api/") || OPENSTACK_PATH.test(req.url ?? "")) apiSecurityHeaders(res);
      routes(req, res);
    },
  );
  io.attach(http);
  consoles = attachConsoleProxy(
    { http, io, clustered: adapter !== null },
    {
      services,
      site,
      recheckIntervalMs: env.NIMBUS_SOCKET_RECHECK_SECONDS * 1000,
      log: log.child({ component: "console-proxy" }),
    },
  );

  conductor = new Conductor(services, log.child({ component: "conductor" }), {
    ...DEFAULT_CONDUCTOR_OPTIONS,
    leaseMs: env.NIMBUS_CONDUCTOR_LEASE_SECONDS * 1000,
  });
  conductor.start();
  /** Runs `sweep` every `intervalMs`, a run at a time (a tick while one runs is skipped). */
  const every = (intervalMs: number, what: string, sweep: () => Promise<unknown>) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      sweep()
        .catch((error: unknown) => log.error({ err: error }, `${what} failed`))
        .finally(() => (running = false));
    }, intervalMs);
    timer.unref();
    return timer;
  };
  let networkSweeps = 0;
  const sweepers = [
    // Operators see when launches queue at this process's door, and how long they waited.
    every(10_000, "launch admission report", async () => {
      const report = launchAdmission.takeReport();
      if (report) log.info(report, "launch calls waited for admission (more arrived than this process runs at once; builds under way went first)");
    }),
    every(1_000, "host liveness sweep", async () => {
      await expireSilentHosts(services);
      await failBuildsOnDownHosts(services);
      const deleted = await finishDeletesOnDownHosts(services);
      if (deleted > 0) log.warn({ deleted }, "deletes whose host went down before finishing them were completed here (local delete)");
    }),
    // Actions on instances (stop, reboot, …): unacknowledged commands sent again; those whose host
    // went down or that outlived their deadline end in the instance's state with a fault.
    every(1_000, "instance task sweep", async () => {
      const { failed } = await sweepInstanceTasks(services);
      if (failed > 0) log.warn({ failed }, "instance actions failed back: their host went down or did not finish them in time");
    }),
    // Resizes and migrations left in VERIFY_RESIZE past the confirm window are confirmed by the system.
    every(1_000, "resize auto-confirm sweep", async () => {
      const confirmed = await confirmExpiredResizes(services);
      if (confirmed > 0) log.info({ confirmed }, "resizes left unconfirmed past the confirm window were confirmed");
    }),
    every(Math.min(5_000, env.NIMBUS_UPLOAD_STALL_SECONDS * 500), "stalled upload sweep", async () => {
      const images = await expireStalledUploads(services);
      if (images.length > 0) log.warn({ images }, "image uploads whose web process stopped mid-way were given up (images killed)");
    }),
    // Security group rule and membership changes reach running guests within about a second.
    every(1_000, "security group sweep", async () => {
      const { acknowledged } = await syncSecurityGroups(services, { resendAfterMs: 2 * env.NIMBUS_AGENT_ACK_TIMEOUT_MS });
      void acknowledged.then(({ filters, members }) => {
        for (const { hostId, ports, error } of filters)
          log.warn({ hostId, ports, reason: error }, "a host did not take its ports' new firewall rules; sending them again later");
        for (const { hostId, groupId, error } of members)
          log.warn({ hostId, groupId, reason: error }, "a host did not take a security group's new members; sending them again later");
      });
    }),
    // Routers (Neutron's L3 agent sync): each host is sent its router list when it changed, or
    // when it registered again; one not acknowledged is sent again after the resend delay.
    every(500, "router sweep", async () => {
      const { acknowledged } = await syncRouters(services, { resendAfterMs: 2 * env.NIMBUS_AGENT_ACK_TIMEOUT_MS });
      void acknowledged.then((failures) => {
        for (const { hostId, error } of failures) log.warn({ hostId, reason: error }, "a host did not take its routers; sending them again later");
      });
    }),
    // Overlay forwarding entries (l2population): a port that binds, moves or goes reaches the
    // other hosts of its network within a sweep; a host that missed it is sent it again.
    every(NETWORK_ENTRY_SWEEP_MS, "network entry sweep", async () => {
      const started = performance.now();
      // Hosts due a resend are looked for about once a second; changed networks at every sweep.
      networkSweeps += 1;
      const { sent, hosts, publishMs, acknowledged } = await syncNetworkEntries(services, {
        resendAfterMs: 2 * env.NIMBUS_AGENT_ACK_TIMEOUT_MS,
        lookForResends: networkSweeps % Math.round(1_000 / NETWORK_ENTRY_SWEEP_MS) === 0,
      });
      const sentMs = performance.now() - started;
      void acknowledged.then((failures) => {
        if (sent > 0) {
          const ms = (value: number) => Math.round(value);
          log.debug(
            { sent, hosts, publishMs: ms(publishMs), sentMs: ms(sentMs), acknowledgedMs: ms(performance.now() - started) },
            "network entries sent",
          );
        }
        for (const { hostId, networkId, error } of failures)
          log.warn({ hostId, networkId, reason: error }, "a host did not take a network's forwarding entries; sending them again later");
      });
    }),
    // Deleted instances past their age leave the live tables (nova-manage db archive_deleted_rows),
    // in bounded batches; two processes archiving at once take different instances.
    ...(env.NIMBUS_ARCHIVE_INTERVAL_MINUTES > 0
      ? [
          every(env.NIMBUS_ARCHIVE_INTERVAL_MINUTES * 60_000, "archive of deleted instances", async () => {
            const counts = await archiveDeletedInstances(services.db, archiveOptions(env));
            if (counts.instances > 0) log.info(counts, "deleted instances archived to shadow_instances");
          }),
        ]
      : []),
  ];

  await new Promise<void>((resolve) => http.listen(env.PORT, env.HOST, resolve));
  const { port } = http.address() as AddressInfo;
  const url = `http://${env.HOST === "0.0.0.0" ? "127.0.0.1" : env.HOST}:${port}`;
  log.info({ url }, "Nimbus web server listening");

  return {
    url,
    services,
    database,
    http,
    consoleProxy: consoles.proxy,
    async close() {
      // Kept-alive connections would otherwise hold the server open for their idle timeout
      // (65 s): idle ones are closed now and as they become idle, busy ones after their answer.
      closing = true;
      http.closeIdleConnections();
      const idle = setInterval(() => http.closeIdleConnections(), 250);
      idle.unref();
      for (const sweeper of sweepers) clearInterval(sweeper);
      consoles?.proxy.close();
      launchAdmission.close();
      await conductor?.stop();
      await new Promise<void>((resolve) => io.close(() => resolve()));
      clearInterval(idle);
      await adapter?.close();
      await agentDatabase?.close();
      await database.close();
    },
  };
}
