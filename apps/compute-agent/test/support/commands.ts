import { randomUUID } from "node:crypto";
import type { SpawnCommand } from "@nimbus/core/protocol";

/** Long enough for the handshake schema. */
export const SECRET = "test-shared-secret-0123456789";

export function spawnCommand(instanceId = randomUUID()): SpawnCommand {
  return {
    commandId: randomUUID(),
    instance: { id: instanceId, name: "web-1", vcpus: 1, memoryMb: 256, rootGb: 0 },
    image: null,
    network: { id: randomUUID(), name: "private", macAddress: "fa:16:3e:00:00:02", fixedIp: null },
  };
}
