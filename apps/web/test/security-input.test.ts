/**
 * Hostile input on every procedure and every inbound agent message, generated from their own
 * schemas (test/schema-probes.ts): a NUL or a lone surrogate in any text field, a number past
 * its column, an id listed twice. Each is a 400 naming the field (an agent's refusal names it
 * too), never a 500 from the database. Real PostgreSQL, the real HTTP and socket.io stack.
 */
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  PROTOCOL_VERSION,
  consoleChunkSchema,
  downloadProgressSchema,
  hostRegistrationSchema,
  instanceReportsSchema,
} from "@nimbus/core/protocol/agent";
import { INT4_MAX } from "@nimbus/core/validation";
import { appRouter } from "../src/server/trpc/router";
import { AGENT_SECRET, signedInClient, startStack, type Stack } from "./harness";
import { fieldProbes, maxOf, type FieldProbe } from "./schema-probes";

const NUL = "a\u0000b";
const LONE_SURROGATE = "a\uD800b";
const ID = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
/** Past int4, where most numbers are stored. */
const PAST_INT4 = INT4_MAX + 1;
/**
 * Cursors over bigint columns (audit event ids, console byte offsets) legitimately pass int4;
 * past a safe integer they are out of range too.
 */
const BIGINT_FIELDS = new Set(["audit.list before", "instances.console afterOffset"]);

interface Procedure {
  path: string;
  type: "query" | "mutation";
  schema: z.ZodType;
}

/** Every procedure that takes input, with the schema its verb parses it with (kept on verbInput's function). */
function proceduresWithInput(): Procedure[] {
  const procedures = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: string; inputs: unknown[] } }> } })._def
    .procedures;
  return Object.entries(procedures)
    .filter(([, p]) => p._def.inputs.length > 0)
    .map(([path, p]) => {
      const schema = (p._def.inputs[0] as { schema?: z.ZodType }).schema;
      if (!schema) throw new Error(`${path} takes input without verbInput(schema): its fields cannot be probed`);
      return { path, type: p._def.type as "query" | "mutation", schema };
    });
}

interface Answer {
  status: number;
  message: string | undefined;
  fieldErrors: Record<string, string[]>;
}

/** One call as any client sends it (superjson's `{ json }`), answered as HTTP status and tRPC error. */
async function call(baseUrl: string, cookie: string, { path, type }: Procedure, input: unknown): Promise<Answer> {
  const body = JSON.stringify({ json: input });
  const response =
    type === "query"
      ? await fetch(`${baseUrl}/api/trpc/${path}?input=${encodeURIComponent(body)}`, { headers: { cookie } })
      : await fetch(`${baseUrl}/api/trpc/${path}`, { method: "POST", body, headers: { cookie, "content-type": "application/json" } });
  const json = (await response.json()) as { error?: { json: { message: string; data: { fieldErrors: Record<string, string[]> | null } } } };
  return { status: response.status, message: json.error?.json.message, fieldErrors: json.error?.json.data.fieldErrors ?? {} };
}

/** What each kind of probe sends, and what the field's errors must then say. */
function cases(procedure: Procedure, probe: FieldProbe): { what: string; value: unknown; says: RegExp }[] {
  switch (probe.kind) {
    case "text":
      return [
        { what: "a NUL", value: NUL, says: /cannot contain a NUL character/ },
        { what: "a lone surrogate", value: LONE_SURROGATE, says: /must be valid Unicode text/ },
      ];
    case "formatted-text":
      return [{ what: "a NUL", value: NUL, says: /./ }];
    case "number": {
      const value = BIGINT_FIELDS.has(`${procedure.path} ${probe.field}`) ? Number.MAX_SAFE_INTEGER + 2 : PAST_INT4;
      return [{ what: `${value}`, value, says: /at most|too big|<=|from \d+ to \d+/i }];
    }
    case "id-list":
      return [{ what: "an id twice", value: ID, says: /once/ }];
  }
}

describe("every procedure's fields, probed from its schema", () => {
  let stack: Stack;
  let cookie: string;
  const procedures = proceduresWithInput();

  beforeAll(async () => {
    stack = await startStack("postgres");
    cookie = (await signedInClient(stack.server.url)).cookie()!;
  });
  afterAll(async () => stack?.stop());

  it("finds the fields to probe: text, numbers and id lists on the procedures that take input", () => {
    const probes = procedures.flatMap((p) => fieldProbes(p.schema).map((probe) => `${p.path} ${probe.field} ${probe.kind}`));
    // A few the review named, so the walk cannot silently find nothing.
    expect(probes).toEqual(
      expect.arrayContaining([
        "auth.signIn name text",
        "auth.signIn password text",
        "instances.launch userData text",
        "instances.launch metadata.<key> text",
        "instances.launch metadata.key text",
        "instances.launch bootSource.sizeGb number",
        "instances.launch securityGroupIds id-list",
        "instances.launch volumes id-list",
        "securityGroups.create name text",
        "hosts.update vcpusReserved number",
        "tokens.create name text",
        "keyPairs.import publicKey text",
        "aggregates.create tenantProjectIds id-list",
      ]),
    );
    expect(probes.length).toBeGreaterThan(100);
  });

  it("answers 400 naming the field, never 500, for a NUL, a lone surrogate, a number past its column and a repeated id", async () => {
    const failures: string[] = [];
    for (const procedure of procedures) {
      for (const probe of fieldProbes(procedure.schema)) {
        for (const { what, value, says } of cases(procedure, probe)) {
          const answer = await call(stack.server.url, cookie, procedure, probe.inputWith(value));
          const messages = answer.fieldErrors[probe.topField] ?? [];
          if (answer.status !== 400 || !messages.some((m) => says.test(m))) {
            failures.push(
              `${procedure.path} ${probe.field} with ${what}: HTTP ${answer.status} ${answer.message} ${JSON.stringify(answer.fieldErrors)}`,
            );
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("refuses the anonymous sign-in's NUL name as a 400, not a 500, and names the field", async () => {
    const answer = await call(stack.server.url, "", procedures.find((p) => p.path === "auth.signIn")!, { name: NUL, password: "x" });
    expect(answer).toMatchObject({ status: 400, fieldErrors: { name: ["User name cannot contain a NUL character."] } });
  });

  it("launches with what the probes refuse only in part: astral characters are text, not lone surrogates", async () => {
    const procedure = procedures.find((p) => p.path === "securityGroups.create")!;
    const created = await fetch(`${stack.server.url}/api/trpc/${procedure.path}`, {
      method: "POST",
      body: JSON.stringify({ json: { name: "rocket-🚀", description: "ünïcode" } }),
      headers: { cookie, "content-type": "application/json" },
    });
    expect(created.status).toBe(200);
  });
});

describe("every inbound agent message's fields, probed from its schema", () => {
  let stack: Stack;
  let socket: Socket;
  const registration = {
    hypervisorType: "test",
    hypervisorUri: "test:///peer",
    cpuModel: "x86_64",
    vcpus: 8,
    memoryMb: 8192,
    diskGb: 100,
    domains: [],
  };

  beforeAll(async () => {
    stack = await startStack("postgres");
    socket = io(`${stack.server.url}/agent`, {
      auth: { secret: AGENT_SECRET, hostname: "probe-host", protocolVersion: PROTOCOL_VERSION, agentVersion: "test-probe" },
      transports: ["websocket"],
      reconnection: false,
      forceNew: true,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
  });
  afterAll(async () => {
    socket?.close();
    await stack?.stop();
  });

  /** The value a probe sends: text gets a NUL, numbers go past int4 (or a safe integer where the column is bigint). */
  const hostile = (probe: FieldProbe) => (probe.kind === "number" ? (maxOf(probe.schema) > INT4_MAX ? Number.MAX_SAFE_INTEGER + 2 : PAST_INT4) : NUL);

  it("refuses host.register with 2^40 vCPUs, or any field past its column or holding a NUL, naming the field", async () => {
    const failures: string[] = [];
    for (const probe of fieldProbes(hostRegistrationSchema)) {
      if (probe.kind === "id-list") continue;
      const payload = { ...registration, ...(probe.inputWith(hostile(probe)) as object) };
      const ack = await socket.timeout(5000).emitWithAck("host.register", payload);
      if (ack.ok || !String(ack.error).includes(`${probe.field}: `)) failures.push(`${probe.field}: ${JSON.stringify(ack)}`);
    }
    expect(failures).toEqual([]);
    const huge = await socket.timeout(5000).emitWithAck("host.register", { ...registration, vcpus: 2 ** 40 });
    expect(huge).toEqual({ ok: false, error: "malformed registration: vcpus: Too big: expected number to be <=2147483647" });
    expect(await socket.timeout(5000).emitWithAck("host.register", { ...registration, domains: [ID, ID] })).toMatchObject({
      ok: false,
      error: expect.stringContaining("domains: each domain is listed once"),
    });
  });

  it("refuses reports and console chunks with a NUL in their text, naming the field, once the host is registered", async () => {
    expect(await socket.timeout(5000).emitWithAck("host.register", registration)).toMatchObject({ ok: true });
    const failures: string[] = [];
    for (const [event, schema] of [
      ["instance.reports", instanceReportsSchema],
      ["instance.console", consoleChunkSchema],
    ] as const) {
      for (const probe of fieldProbes(schema).filter((p) => p.kind === "text")) {
        const ack = await socket.timeout(5000).emitWithAck(event, probe.inputWith(NUL));
        if (ack.ok || !String(ack.error).includes(`${probe.field}: `) || !String(ack.error).includes("NUL"))
          failures.push(`${event} ${probe.field}: ${JSON.stringify(ack)}`);
      }
    }
    expect(failures).toEqual([]);
    // Download progress is relayed, not stored, and has no text; its numbers are still bounded.
    expect(fieldProbes(downloadProgressSchema).every((p) => p.kind !== "text")).toBe(true);
  });
});
