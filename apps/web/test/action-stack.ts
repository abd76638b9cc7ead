import { signedInClient, startAgent, startStack, waitFor, type AgentProcess, type Stack } from "./harness";

/** Agents of the action tests report power changes within a second. */
export const ACTION_AGENT_ENV = { NIMBUS_POWER_SYNC_SECONDS: "1" };

/**
 * The stack the instance action tests (lifecycle, snapshot, rebuild) run on: real PostgreSQL,
 * short action, shutdown, ack and reconnect times (so a frozen or killed agent fails an action
 * back within seconds), and one agent on libvirt's test driver, up, with an admin signed in.
 */
export async function startActionStack(
  hostname: string,
): Promise<{ stack: Stack; agent: AgentProcess; api: Awaited<ReturnType<typeof signedInClient>> }> {
  const stack = await startStack("postgres", {
    NIMBUS_ACTION_TIMEOUT_SECONDS: "3",
    NIMBUS_SHUTDOWN_TIMEOUT_SECONDS: "1",
    NIMBUS_AGENT_ACK_TIMEOUT_MS: "1000",
    NIMBUS_HOST_RECONNECT_GRACE_SECONDS: "1",
  });
  const agent = startAgent(stack.server.url, { hostname, env: ACTION_AGENT_ENV });
  const api = await signedInClient(stack.server.url);
  await waitFor("the agent's host to be up", async () =>
    (await api.client.hosts.list.query()).find((h) => h.hostname === hostname && h.state === "up"),
  );
  return { stack, agent, api };
}
