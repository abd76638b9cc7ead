import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Publisher, Services, Telemetry } from "@nimbus/core/context";
import { isNimbusError } from "@nimbus/core/errors";
import { authorize, type Principal } from "@nimbus/core/policy";
import { buildRequestCounts, databaseAnswers, databaseConnections, pendingMigrations } from "@nimbus/core/health";
import { HTTP_STATUS, replyJson } from "./http-reply";
import { apiErrorBody, HttpRefusal, type RawRoute } from "./http-routes";
import { bearerToken } from "./request-guards";

/**
 * What operators and their tools read off a web process: `/healthz` (the process answers),
 * `/readyz` (it can do its work: the database answers, its migrations are applied, the conductor
 * runs; a load balancer sends it no traffic otherwise) and `/metrics` (Prometheus's text format,
 * for a cloud admin or a scraper holding NIMBUS_METRICS_TOKEN).
 */

type Database = Services["db"];

/** The build's phases as the action log names them (the progress view's steps). */
const BUILD_PHASES = new Set(["scheduling", "networking", "block_device_mapping", "spawning"]);
/** How long a readiness probe waits for the database before it says it is not ready. */
const DATABASE_PROBE_TIMEOUT_MS = 2_000;

export interface ProcessProbes {
  /** The conductor's own view of itself (Conductor.health). */
  conductor(): { running: boolean; lastClaimMsAgo: number | null };
  /** Compute agents connected to this process. */
  agentConnections(): number;
  /** Browser sockets connected to this process. */
  browserConnections(): number;
  /** The launch admission gate (admission.ts). */
  admission(): { limit: number; running: number; waiting: number };
}

export interface Metrics {
  registry: Registry;
  /** Core's counters (NoValidHost by filter). */
  telemetry: Telemetry;
  /** `publisher`, observed: build phase durations, outcomes and report lag from what it announces. */
  observe(publisher: Publisher): Publisher;
}

/** Resolves within `ms` or rejects (the database probe must not hang a readiness check). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function createMetrics({ db, probes }: { db: Database; probes: ProcessProbes }): Metrics {
  const registry = new Registry();
  // Event-loop delay (a histogram of it), heap, GC, handles, CPU and RSS of this process.
  collectDefaultMetrics({ register: registry, prefix: "nimbus_web_" });

  const phaseSeconds = new Histogram({
    name: "nimbus_build_phase_seconds",
    help: "How long each build phase took (scheduling, networking, block_device_mapping, spawning), by result.",
    labelNames: ["phase", "result"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180],
    registers: [registry],
  });
  const outcomes = new Counter({
    name: "nimbus_instance_outcomes_total",
    help: "Instances that became active, went to error or were deleted (launches and actions alike).",
    labelNames: ["state"] as const,
    registers: [registry],
  });
  const reportLag = new Histogram({
    name: "nimbus_report_lag_seconds",
    help: "From a compute agent sending a build report to this process announcing it to browsers.",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const noValidHost = new Counter({
    name: "nimbus_no_valid_host_total",
    help: "Builds that found no valid host, by the filter that returned no hosts ('none': there were no hosts).",
    labelNames: ["filter"] as const,
    registers: [registry],
  });
  new Gauge({
    name: "nimbus_agent_connections",
    help: "Compute agents connected to this web process.",
    registers: [registry],
    collect() {
      this.set(probes.agentConnections());
    },
  });
  new Gauge({
    name: "nimbus_browser_connections",
    help: "Browser sockets connected to this web process.",
    registers: [registry],
    collect() {
      this.set(probes.browserConnections());
    },
  });
  new Gauge({
    name: "nimbus_launch_admission",
    help: "The launch admission gate of this process: its limit, launches running and launches waiting.",
    labelNames: ["what"] as const,
    registers: [registry],
    collect() {
      const { limit, running, waiting } = probes.admission();
      this.set({ what: "limit" }, limit);
      this.set({ what: "running" }, running);
      this.set({ what: "waiting" }, waiting);
    },
  });
  // Cloud-wide figures, read from the database at each scrape (a few cheap aggregates).
  new Gauge({
    name: "nimbus_build_requests",
    help: "Build requests in the conductor's queue, by status (cloud-wide).",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { status, count } of await buildRequestCounts(db)) this.set({ status }, count);
    },
  });
  new Gauge({
    name: "nimbus_database_connections",
    help: "Connections to the database by Nimbus processes (application_name nimbus-*), by state.",
    labelNames: ["application", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { application, state, count } of await databaseConnections(db)) this.set({ application, state }, count);
    },
  });

  const telemetry: Telemetry = {
    noValidHost: (filter) => noValidHost.inc({ filter: filter ?? "none" }),
  };

  return {
    registry,
    telemetry,
    observe(publisher) {
      return {
        ...publisher,
        instanceUpdates(projectId, updates) {
          const now = Date.now();
          for (const event of updates.events) {
            if (event.finishTime && event.result && BUILD_PHASES.has(event.event)) {
              const seconds = (Date.parse(event.finishTime) - Date.parse(event.startTime)) / 1000;
              if (seconds >= 0) phaseSeconds.observe({ phase: event.event, result: event.result.toLowerCase() }, seconds);
            }
            if (event.event === "active" || event.event === "error" || event.event === "deleted") outcomes.inc({ state: event.event });
            if (event.reportedAt) {
              const lag = (now - Date.parse(event.reportedAt)) / 1000;
              if (lag >= 0) reportLag.observe(lag);
            }
          }
          publisher.instanceUpdates(projectId, updates);
        },
      };
    },
  };
}

/** Whether `req` carries the scrape token (compared in constant time). */
function holdsToken(req: IncomingMessage, token: string | undefined): boolean {
  const presented = bearerToken(req);
  if (!token || !presented) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface OperabilityDeps {
  db: Database;
  metrics: Metrics;
  probes: ProcessProbes;
  /** A bearer token a scraper may present instead of a cloud admin's credential (NIMBUS_METRICS_TOKEN). */
  metricsToken?: string | undefined;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null }>;
}

export const OPERABILITY_PATHS = { health: "/healthz", ready: "/readyz", metrics: "/metrics" } as const;

interface Check {
  ok: boolean;
  detail?: string;
}

/** The readiness checks, each with a plain-words detail when it fails (no data, no secrets). */
export async function readiness({ db, probes }: Pick<OperabilityDeps, "db" | "probes">): Promise<Record<string, Check>> {
  const database = await within(databaseAnswers(db), DATABASE_PROBE_TIMEOUT_MS, "the database's answer").then(
    (): Check => ({ ok: true }),
    (): Check => ({ ok: false, detail: "The database does not answer." }),
  );
  const migrations = database.ok
    ? await within(pendingMigrations(db), DATABASE_PROBE_TIMEOUT_MS, "reading the applied migrations").then(
        (pending): Check =>
          pending.length === 0 ? { ok: true } : { ok: false, detail: `${pending.length} migration(s) not applied: ${pending.join(", ")}.` },
        (): Check => ({ ok: false, detail: "The applied migrations could not be read." }),
      )
    : { ok: false, detail: "Not checked: the database does not answer." };
  const { running, lastClaimMsAgo } = probes.conductor();
  const conductor: Check = running
    ? { ok: true }
    : {
        ok: false,
        detail:
          lastClaimMsAgo === null
            ? "The conductor has not read its queue yet."
            : `The conductor last read its queue ${Math.round(lastClaimMsAgo / 1000)} s ago.`,
      };
  return { database, migrations, conductor };
}

/** The plain HTTP routes of /healthz, /readyz and /metrics. */
export function operabilityRoutes(deps: OperabilityDeps): RawRoute[] {
  const plain = { methods: ["GET", "HEAD"], maxBodyBytes: 0, errorBody: apiErrorBody } as const;
  return [
    {
      ...plain,
      path: OPERABILITY_PATHS.health,
      handle: ({ res }) => replyJson(res, 200, { status: "ok" }),
    },
    {
      ...plain,
      path: OPERABILITY_PATHS.ready,
      async handle({ res }) {
        const checks = await readiness(deps);
        const ready = Object.values(checks).every((check) => check.ok);
        replyJson(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", checks }, ready ? {} : { "retry-after": "1" });
      },
    },
    {
      ...plain,
      path: OPERABILITY_PATHS.metrics,
      async handle({ req, res }) {
        if (!holdsToken(req, deps.metricsToken)) {
          try {
            authorize((await deps.resolvePrincipal(req)).principal, "http:metrics");
          } catch (error) {
            if (isNimbusError(error)) throw new HttpRefusal(HTTP_STATUS[error.code], error.code, error.message);
            throw error;
          }
        }
        const body = await deps.metrics.registry.metrics();
        res.writeHead(200, { "content-type": deps.metrics.registry.contentType, "cache-control": "no-store" }).end(body);
      },
    },
  ];
}
