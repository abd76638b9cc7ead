import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/**
 * A busy host is not a dead host. An agent whose event loop stalls for several seconds (here:
 * the whole process stopped, the worst case of a loaded machine) keeps its connection and its
 * host stays up, as long as it is back within the down time; only silence past it, or a closed
 * connection that is not re-opened within the reconnect grace, takes the host down.
 */
describe("a busy host is not a dead host (real PostgreSQL, a real agent)", () => {
  let stack: Stack;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startStack("postgres", { NIMBUS_HOST_DOWN_AFTER_SECONDS: "12", NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "3" });
    agent = startAgent(stack.server.url, { hostname: "node-busy" });
  });
  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  it("an agent stalled for 7 s keeps its host up and its connection; a closed connection takes it down after the grace", async () => {
    const admin = await signedInClient(stack.server.url);
    const state = async () => (await admin.client.hosts.list.query()).find((h) => h.hostname === "node-busy")?.state;
    await waitFor("node-busy up", async () => (await state()) === "up");
    const registrations = () => agent.output().split("host registered").length - 1;
    expect(registrations()).toBe(1);

    agent.child.kill("SIGSTOP");
    const seen = new Set<string | undefined>();
    const stalledUntil = Date.now() + 7_000;
    while (Date.now() < stalledUntil) {
      seen.add(await state());
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    agent.child.kill("SIGCONT");
    // Up the whole time, and the agent never had to connect and register again.
    expect([...seen]).toEqual(["up"]);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await state()).toBe("up");
    expect(registrations()).toBe(1);

    // A connection that closes and stays closed: down once the 3 s grace passes, not after 12 s.
    const stoppedAt = Date.now();
    await agent.stop("SIGKILL");
    await waitFor("node-busy down", async () => (await state()) === "down", 10_000);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(2_500);
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
  });
});
