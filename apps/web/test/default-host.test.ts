import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addUser, PERSONA_PASSWORD, signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/**
 * The host `npm start` runs beside the console (an agent with no hypervisor named: libvirt's
 * simulated one) takes every flavor the first start seeds, so a new user's first launch of any
 * of them can succeed. libvirt's own test:///default has 3 GiB, and m1.medium and up never fit.
 */
describe("the quick start's default host", () => {
  let stack: Stack;
  let agent: AgentProcess;

  beforeAll(async () => {
    stack = await startStack("pglite");
    // An empty variable is unset: the agent picks its default hypervisor, as npm start's does.
    agent = startAgent(stack.server.url, { hostname: "quick-start", env: { NIMBUS_LIBVIRT_URI: "", NIMBUS_DISK_GB: "" } });
  });
  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  it("takes every seeded flavor, m1.tiny to m1.xlarge", async () => {
    const { client } = await signedInClient(stack.server.url);
    await waitFor("the host up", async () => (await client.hosts.list.query()).some((h) => h.hostname === "quick-start" && h.state === "up"));
    const flavors = await client.catalog.flavors.query();
    expect(flavors.map((f) => f.name)).toEqual(["m1.tiny", "m1.small", "m1.medium", "m1.large", "m1.xlarge"]);
    for (const flavor of flavors) {
      const preview = await client.hosts.previewPlacement.query({ flavorId: flavor.id });
      expect({ flavor: flavor.name, chosen: preview.chosen }).toEqual({ flavor: flavor.name, chosen: "quick-start" });
    }
  });

  it("tells a member which flavors no enabled host could take now, and why, without naming a host", async () => {
    const { client: admin } = await signedInClient(stack.server.url);
    await addUser(stack, { name: "wizard-member", project: "demo", role: "member" });
    const { client: member } = await signedInClient(stack.server.url, "wizard-member", PERSONA_PASSWORD);
    const host = await waitFor("the host up", async () =>
      (await admin.hosts.list.query()).find((h) => h.hostname === "quick-start" && h.state === "up"),
    );

    const open = await member.catalog.flavorAvailability.query({});
    expect(open).toHaveLength(5);
    expect(open.every((f) => f.available && f.reason === null)).toBe(true);

    await admin.hosts.update.mutate({ id: host.id, enabled: false, disabledReason: "quick-start maintenance" });
    try {
      const closed = await member.catalog.flavorAvailability.query({});
      expect(closed.map((f) => [f.available, f.reason])).toEqual(Array(5).fill([false, "1 host considered: 1 disabled."]));
      expect(JSON.stringify(closed)).not.toContain("quick-start");
    } finally {
      await admin.hosts.update.mutate({ id: host.id, enabled: true });
    }
  });
});
