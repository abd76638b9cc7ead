import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "@nimbus/core/protocol/agent";
import { instanceChangedSchema, instanceEventSchema } from "@nimbus/core/protocol/browser";
import {
  AGENT_SECRET,
  browserSocket,
  signedInClient,
  startAgent,
  startStack,
  TRPCClientError,
  waitFor,
  type AgentProcess,
  type Backend,
  type Stack,
} from "./harness";

/**
 * The whole launch flow against each database: sign in → launch over tRPC → conductor schedules
 * and claims → a real compute agent process on libvirt's test driver builds the domain → phases
 * pushed live over socket.io → ACTIVE → delete releases everything.
 */
describe.each<Backend>(["pglite", "postgres"])("launch flow on %s", (backend) => {
  let stack: Stack;
  let agent: AgentProcess;
  let api: Awaited<ReturnType<typeof signedInClient>>;

  beforeAll(async () => {
    stack = await startStack(backend);
    agent = startAgent(stack.server.url, { hostname: `node-${backend}` });
    api = await signedInClient(stack.server.url);
    await waitFor("the agent's host to register and be up", async () => {
      const hosts = await api.client.hosts.list.query();
      return hosts.find((h) => h.hostname === agent.hostname && h.state === "up");
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await stack?.stop();
  });

  async function catalog() {
    const [flavors, images, networks] = await Promise.all([
      api.client.catalog.flavors.query(),
      api.client.catalog.images.query(),
      api.client.catalog.networks.query(),
    ]);
    const flavor = (name: string) => flavors.find((f) => f.name === name)!;
    return { flavor, image: images[0]!, network: networks[0]! };
  }

  it("registers the host with the inventory libvirt reports", async () => {
    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === agent.hostname)!;
    expect(host.hypervisorType).toBe("test");
    expect(host.vcpus.total).toBeGreaterThan(0);
    expect(host.memoryMb.total).toBeGreaterThan(0);
    expect(host.diskGb.total).toBe(200);
    expect(host.vcpus.used).toBe(0);
  });

  it("launches an instance to ACTIVE with every phase pushed live, then deletes it and frees the host", async () => {
    const { flavor, image, network } = await catalog();
    const { socket, received } = browserSocket(stack.server.url, api.cookie()!);
    await waitFor("the browser socket to connect", () => socket.connected);

    const { instanceIds } = await api.client.instances.launch.mutate({
      name: "web-1",
      count: 1,
      imageId: image.id,
      flavorId: flavor("m1.tiny").id,
      networkId: network.id,
    });
    const id = instanceIds[0]!;

    await waitFor("the instance to become ACTIVE", async () => (await api.client.instances.get.query({ id })).instance.status === "ACTIVE");
    const { instance, actions } = await api.client.instances.get.query({ id });
    expect(instance.hostname).toBe(agent.hostname);
    expect(instance.powerState).toBe("running");
    expect(actions[0]!.events.map((e) => e.event)).toEqual(["scheduling", "networking", "block_device_mapping", "spawning", "active"]);
    expect(actions[0]!.events.every((e) => e.finishTime !== null && e.result === "Success")).toBe(true);

    // The same phases arrived over the socket, in order, as they happened.
    await waitFor("the active event on the socket", () =>
      received.some((r) => r.event === "instance.event" && instanceEventSchema.parse(r.payload).event === "active"),
    );
    // Each phase as it is opened or, when the host reported several at once (networking and
    // block_device_mapping are entered together), already closed; never one out of order.
    const phasesSeen = [
      ...new Set(
        received
          .filter((r) => r.event === "instance.event")
          .map((r) => instanceEventSchema.parse(r.payload))
          .filter((e) => e.instanceId === id)
          .map((e) => e.event),
      ),
    ];
    expect(phasesSeen).toEqual(["scheduling", "networking", "block_device_mapping", "spawning", "active"]);
    // The status pushes follow, as separate messages: BUILD while building, then ACTIVE.
    const statuses = () =>
      received
        .filter((r) => r.event === "instance.changed")
        .map((r) => instanceChangedSchema.parse(r.payload))
        .filter((c) => c.id === id)
        .map((c) => c.status);
    await waitFor("ACTIVE pushed to the browser", () => statuses().at(-1) === "ACTIVE");
    expect(new Set(statuses())).toEqual(new Set(["BUILD", "ACTIVE"]));

    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === agent.hostname)!;
    expect(host.vcpus.used).toBe(1);
    expect(host.memoryMb.used).toBe(512);
    expect(host.instanceCount).toBe(1);
    expect((await api.client.quota.usage.query()).instances.used).toBe(1);
    const [port] = (await api.client.ports.list.query({ networkId: network.id })).filter((p) => p.instanceId === id);
    expect(port?.status).toBe("ACTIVE");

    await api.client.instances.delete.mutate({ id });
    await waitFor("the instance to disappear", async () => !(await api.client.instances.list.query()).some((i) => i.id === id));
    const after = (await api.client.hosts.list.query()).find((h) => h.hostname === agent.hostname)!;
    expect(after.vcpus.used).toBe(0);
    expect(after.instanceCount).toBe(0);
    expect((await api.client.quota.usage.query()).instances.used).toBe(0);
    await expect(api.client.instances.get.query({ id })).rejects.toThrow(/could not be found/);
    socket.close();
  });

  it("launches once for calls that repeat an idempotency key, even at the same moment", async () => {
    const { flavor, image, network } = await catalog();
    const input = {
      name: "keyed",
      count: 2,
      imageId: image.id,
      flavorId: flavor("m1.tiny").id,
      networkId: network.id,
      idempotencyKey: `key-${backend}-1`,
    };
    // A double click and a script's retry racing the first call, then a re-run after it.
    const racing = await Promise.all([1, 2, 3, 4].map(() => api.client.instances.launch.mutate(input)));
    const again = await api.client.instances.launch.mutate(input);
    const first = racing[0]!;
    expect(first.instanceIds).toHaveLength(2);
    for (const answer of [...racing, again]) expect(answer).toEqual(first);
    const keyed = (await api.client.instances.list.query()).filter((i) => i.name.startsWith("keyed"));
    expect(keyed.map((i) => i.id).sort()).toEqual([...first.instanceIds].sort());
    expect((await api.client.quota.usage.query()).instances.used).toBe(2);

    // Another key is another launch.
    const other = await api.client.instances.launch.mutate({ ...input, count: 1, idempotencyKey: `key-${backend}-2` });
    expect(other.instanceIds).toHaveLength(1);
    expect(first.instanceIds).not.toContain(other.instanceIds[0]);

    for (const id of [...first.instanceIds, ...other.instanceIds]) await api.client.instances.delete.mutate({ id });
    await waitFor("the keyed instances to disappear", async () => !(await api.client.instances.list.query()).some((i) => i.name.startsWith("keyed")));
  });

  it("ends in ERROR with a fault that explains why when no host can take the flavor", async () => {
    const { flavor, image, network } = await catalog();
    const { instanceIds } = await api.client.instances.launch.mutate({
      name: "too-big",
      count: 1,
      imageId: image.id,
      flavorId: flavor("m1.xlarge").id,
      networkId: network.id,
    });
    const id = instanceIds[0]!;
    const { instance } = await waitFor("the instance to reach ERROR", async () => {
      const got = await api.client.instances.get.query({ id });
      return got.instance.status === "ERROR" ? got : null;
    });
    expect(instance.fault?.message).toMatch(/^No valid host was found\. 1 host considered: 1 lacked RAM \(needed 16384 MB, most free \d+ MB\)\.$/);
    const host = (await api.client.hosts.list.query()).find((h) => h.hostname === agent.hostname)!;
    expect(host.memoryMb.used).toBe(0);
    await api.client.instances.delete.mutate({ id });
  });

  it("refuses invalid launch input with field-level errors and records nothing", async () => {
    const { image, network } = await catalog();
    const error = await api.client.instances.launch
      .mutate({ name: " bad name!", count: 0, imageId: image.id, flavorId: "not-a-uuid", networkId: network.id })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCClientError);
    const fieldErrors = (error as TRPCClientError<never>).data as unknown as { fieldErrors: Record<string, string[]> };
    expect(Object.keys(fieldErrors.fieldErrors).sort()).toEqual(["count", "flavorId", "name"]);
    expect(await api.client.instances.list.query()).toEqual([]);
  });

  it("refuses calls without a session", async () => {
    const { apiClient } = await import("./harness");
    const anonymous = apiClient(stack.server.url);
    await expect(anonymous.client.instances.list.query()).rejects.toThrow(/sign in/i);
    await expect(anonymous.client.auth.signIn.mutate({ name: "admin", password: "wrong-password" })).rejects.toThrow(
      "Invalid user name or password.",
    );
  });

  it("refuses a compute agent without the right credential", async () => {
    const error = await new Promise<Error>((resolve) => {
      const socket = io(`${stack.server.url}/agent`, {
        auth: { secret: `${AGENT_SECRET}-wrong`, hostname: "intruder", protocolVersion: PROTOCOL_VERSION, agentVersion: "0" },
        transports: ["websocket"],
        reconnection: false,
      });
      socket.on("connect_error", (e) => {
        socket.close();
        resolve(e);
      });
    });
    expect(error.message).toBe("invalid agent credential");
    expect((await api.client.hosts.list.query()).some((h) => h.hostname === "intruder")).toBe(false);
  });
});
