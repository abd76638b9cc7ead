import { z } from "zod";
import { setTimeout as sleep } from "node:timers/promises";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { Principal } from "@nimbus/core/policy";
import { isNimbusError } from "@nimbus/core/errors";
import { AdmissionGate, eventLoopDelayProbe, type LoopDelayProbe } from "./admission";
import { createCallerFactory, launchAdmitted, procedure, retryAfter, router, type TrpcContext } from "./trpc/init";

/** A loop delay the test sets, and whether the gate is watching the loop. */
function fakeLoop() {
  const loop = { delayMs: 0 as number | null, watching: false };
  const probe: LoopDelayProbe = {
    start: () => void (loop.watching = true),
    stop: () => void (loop.watching = false),
    take: () => loop.delayMs,
  };
  return { loop, probe };
}

/** A launch the test finishes when it wants, recording when it started. */
function launches(gate: AdmissionGate) {
  const started: number[] = [];
  const finish = new Map<number, () => void>();
  const launch = (n: number, signal?: AbortSignal) =>
    gate.run(
      () =>
        new Promise<number>((resolve) => {
          started.push(n);
          finish.set(n, () => resolve(n));
        }),
      signal,
    );
  return { started, finish: (n: number) => finish.get(n)!(), launch };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
// The gate's own timer would step the controller under the test's feet: it is made very slow.
const HOUR = 3_600_000;

/** The limit after two windows at `delayMs` with one launch running, far below the limit. */
async function limitAfterTwoWindowsWithOneLaunch({ initialLimit, delayMs }: { initialLimit: number; delayMs: number }): Promise<number> {
  const { loop, probe } = fakeLoop();
  const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit, windowMs: HOUR });
  const { finish, launch } = launches(gate);
  const one = launch(1);
  loop.delayMs = delayMs;
  gate.adjust();
  gate.adjust();
  const limit = gate.limit;
  await settle();
  finish(1);
  await one;
  gate.close();
  return limit;
}

describe("launch admission", () => {
  it("runs at most the limit of launches at once and starts the waiting ones first come, first served", async () => {
    const { probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 2, minLimit: 1, windowMs: HOUR });
    const { started, finish, launch } = launches(gate);
    const results = [1, 2, 3, 4, 5].map((n) => launch(n));
    await settle();
    expect(started).toEqual([1, 2]);
    expect([gate.running, gate.waiting]).toEqual([2, 3]);

    finish(2);
    await settle();
    expect(started).toEqual([1, 2, 3]);
    finish(1);
    finish(3);
    await settle();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    finish(4);
    finish(5);
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4, 5]);
    expect([gate.running, gate.waiting]).toEqual([0, 0]);
    gate.close();
  });

  it("lets fewer launches run while the event loop falls behind, and more again, one at a time, once it keeps up", async () => {
    const { loop, probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 8, minLimit: 2, maxLimit: 10, windowMs: HOUR });
    const { started, launch } = launches(gate);
    // The twelve still waiting at the end are refused by close().
    const refusals = [];
    for (let n = 1; n <= 20; n++) refusals.push(launch(n).catch(() => "refused"));
    await settle();
    expect(started).toHaveLength(8);

    loop.delayMs = 40;
    const shrinking = [1, 2, 3, 4, 5].map(() => (gate.adjust(), gate.limit));
    expect(shrinking).toEqual([6, 4, 3, 2, 2]);
    // Shrinking stops nothing already running; no new launch starts until the running ones drop below the limit.
    expect(started).toHaveLength(8);

    loop.delayMs = 4;
    const growing = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(() => (gate.adjust(), gate.limit));
    expect(growing).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 10, 10]);
    await settle();
    expect(started).toHaveLength(10);
    gate.close();
    expect(await Promise.race(refusals.slice(10))).toBe("refused");
  });

  it("does not grow the limit while nobody waits (the demand, not the limit, bounds the work)", async () => {
    expect(await limitAfterTwoWindowsWithOneLaunch({ initialLimit: 4, delayMs: 1 })).toBe(4);
  });

  it("refuses a launch when too many already wait, saying so, and loses none of those waiting", async () => {
    const { probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 2, minLimit: 1, maxWaiting: 2, windowMs: HOUR });
    const { started, finish, launch } = launches(gate);
    const admitted = [1, 2, 3, 4].map((n) => launch(n));
    const refused = await launch(5).catch((error: unknown) => error);
    expect(isNimbusError(refused) && refused.code).toBe("TooManyRequests");
    expect((refused as Error).message).toMatch(/2 launches waiting to start; try again/);
    for (const n of [1, 2, 3, 4]) {
      await settle();
      finish(n);
    }
    expect(await Promise.all(admitted)).toEqual([1, 2, 3, 4]);
    expect(started).toEqual([1, 2, 3, 4]);
    gate.close();
  });

  it("never starts a launch whose caller went away while it waited", async () => {
    const { probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 1, minLimit: 1, windowMs: HOUR });
    const { started, finish, launch } = launches(gate);
    const first = launch(1);
    const caller = new AbortController();
    const abandoned = launch(2, caller.signal).catch((error: unknown) => error);
    const third = launch(3);
    caller.abort(new Error("the browser went away"));
    expect(((await abandoned) as Error).message).toBe("the browser went away");
    expect(gate.waiting).toBe(1);
    finish(1);
    await settle();
    finish(3);
    await Promise.all([first, third]);
    expect(started).toEqual([1, 3]);
    gate.close();
  });

  it("watches the event loop only while launches run or wait", async () => {
    const { loop, probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, windowMs: HOUR });
    const { finish, launch } = launches(gate);
    expect(loop.watching).toBe(false);
    const one = launch(1);
    expect(loop.watching).toBe(true);
    gate.adjust();
    expect(loop.watching).toBe(true);
    await settle();
    finish(1);
    await one;
    gate.adjust();
    expect(loop.watching).toBe(false);
    gate.close();
  });

  it("does not lower the limit when the loop is behind but the limit holds no launch back", async () => {
    expect(await limitAfterTwoWindowsWithOneLaunch({ initialLimit: 8, delayMs: 80 })).toBe(8);
  });

  it("takes a window's own timer firing late as the loop being behind, and never raises the limit without a reading", () => {
    const { loop, probe } = fakeLoop();
    loop.delayMs = null;
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 8, windowMs: 10 });
    const { launch } = launches(gate);
    const all = Array.from({ length: 10 }, (_, n) => launch(n + 1).catch(() => "refused"));
    expect([gate.running, gate.waiting]).toEqual([8, 2]);
    // One turn of 60 ms: the probe has no tick to report, but the window ended 50 ms late.
    const busyUntil = performance.now() + 60;
    while (performance.now() < busyUntil);
    gate.adjust();
    expect(gate.limit).toBe(6);
    gate.adjust();
    expect(gate.limit).toBe(6);
    gate.close();
    return Promise.all(all.slice(8));
  });

  it("at shutdown refuses the launches still waiting, and every later one, while those running finish", async () => {
    const { probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 1, minLimit: 1, windowMs: HOUR });
    const { started, finish, launch } = launches(gate);
    const running = launch(1);
    const waiting = launch(2).catch((error: unknown) => error);
    await settle();
    gate.close();
    const refused = await waiting;
    expect(isNimbusError(refused) && refused.code).toBe("Unavailable");
    expect((refused as Error).message).toMatch(/shutting down; the launch did not start/);
    const later = await launch(3).catch((error: unknown) => error);
    expect(isNimbusError(later) && later.code).toBe("Unavailable");
    finish(1);
    expect(await running).toBe(1);
    expect(started).toEqual([1]);
  });

  it("reports who waited, how long at most, how many at once and how low the limit went; nothing when nobody waited", async () => {
    const { loop, probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 2, minLimit: 1, maxWaiting: 2, windowMs: HOUR });
    const { finish, launch } = launches(gate);
    const first = [1, 2].map((n) => launch(n));
    await settle();
    expect(gate.takeReport()).toBeNull();

    const waiting = [3, 4].map((n) => launch(n));
    await launch(5).catch(() => "refused");
    loop.delayMs = 50;
    gate.adjust();
    await sleep(15);
    for (const n of [1, 2]) finish(n);
    await Promise.all(first);
    // The limit is 1 now: the waiting ones start one after the other.
    for (const n of [3, 4]) {
      await settle();
      finish(n);
    }
    await Promise.all(waiting);
    const report = gate.takeReport();
    expect(report).toMatchObject({ waited: 2, abandoned: 0, mostWaiting: 2, refused: 1, limit: 1, lowestLimit: 1 });
    expect(report!.longestWaitMs).toBeGreaterThanOrEqual(10);
    expect(gate.takeReport()).toBeNull();

    // A window in which callers only waited, or gave up, is reported too.
    const running = launch(6);
    const caller = new AbortController();
    const leaving = launch(7, caller.signal).catch(() => "left");
    const stuck = launch(8).catch(() => "refused at close");
    caller.abort();
    await leaving;
    await sleep(15);
    const meanwhile = gate.takeReport();
    expect(meanwhile).toMatchObject({ waited: 0, abandoned: 1, mostWaiting: 2, refused: 0 });
    expect(meanwhile!.longestWaitMs).toBeGreaterThanOrEqual(10);
    gate.close();
    await settle();
    finish(6);
    await Promise.all([running, stuck]);
  });

  it("runs every launch at once when turned off (a target of 0)", async () => {
    const { loop, probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 0, loopDelay: probe, initialLimit: 2, windowMs: HOUR });
    const { started, launch } = launches(gate);
    for (let n = 1; n <= 5; n++) void launch(n);
    await settle();
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(loop.watching).toBe(false);
  });
});

describe("the event loop delay probe", () => {
  it("reports how far behind a busy loop runs, beyond its sampling interval", async () => {
    const probe = eventLoopDelayProbe(5);
    probe.start();
    await sleep(20);
    probe.take();
    // Node's histogram starts measuring again at its first tick after a reset.
    await sleep(15);
    // Ten turns of 30 ms each: nearly every tick of the probe comes about 30 ms late.
    for (let turn = 0; turn < 10; turn++) {
      const busyUntil = performance.now() + 30;
      while (performance.now() < busyUntil);
      await sleep(1);
    }
    const delay = probe.take();
    probe.stop();
    expect(delay).toBeGreaterThanOrEqual(20);
    expect(delay).toBeLessThan(1_000);
  });
});

describe("launch admission on the API", () => {
  const member: Principal = { userId: "u", userName: "alice", projectId: "p", projectName: "demo", role: "member", isAdmin: false, via: "session" };
  const api = router({
    launch: procedure("instances.launch")
      .use(launchAdmitted(z.unknown()))
      .mutation(() => sleep(30).then(() => "launched")),
  });
  const callerWith = (gate: AdmissionGate, signal?: AbortSignal) =>
    createCallerFactory(api)({ principal: member, launchAdmission: gate } as unknown as TrpcContext, { signal });

  it("answers a launch the gate cannot queue with 429, says why and when to try again, and one whose caller left with 499", async () => {
    const { probe } = fakeLoop();
    const gate = new AdmissionGate({ targetDelayMs: 10, loopDelay: probe, initialLimit: 1, minLimit: 1, maxWaiting: 1, windowMs: HOUR });
    const first = callerWith(gate).launch();
    const caller = new AbortController();
    const abandoned = callerWith(gate, caller.signal)
      .launch()
      .catch((error: unknown) => error);
    const refused = await callerWith(gate)
      .launch()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCError);
    expect((refused as TRPCError).code).toBe("TOO_MANY_REQUESTS");
    expect((refused as TRPCError).message).toMatch(/launches waiting to start/);
    expect(retryAfter([refused as TRPCError])).toEqual({ headers: { "retry-after": "5" } });
    expect(retryAfter([new TRPCError({ code: "NOT_FOUND" })])).toBeUndefined();
    caller.abort();
    expect(((await abandoned) as TRPCError).code).toBe("CLIENT_CLOSED_REQUEST");
    expect(await first).toBe("launched");
    gate.close();
  });
});
