import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

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
});
