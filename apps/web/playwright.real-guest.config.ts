import path from "node:path";
import { defineConfig } from "@playwright/test";
import baseConfig, { consoleServer, E2E } from "./playwright.config";

/**
 * The guest that really boots, in a cloud of its own: the console and one compute agent on
 * qemu:///system (TCG), so the other browser tests keep their one simulated host.
 */
const PORT = Number(process.env.E2E_REAL_GUEST_PORT ?? 3200);
const baseURL = `http://127.0.0.1:${PORT}`;
const dataDir = process.env.E2E_REAL_GUEST_DATA_DIR ?? "/tmp/nimbus-e2e-real-guest";
/** Readable by libvirt's QEMU; named after the data dir, so runs on other ports keep apart. */
const agentStateDir = `/var/tmp/${path.basename(dataDir)}-agent`;
export const REAL_GUEST = { hostname: "e2e-qemu", agentStateDir };

export default defineConfig({
  ...baseConfig,
  testIgnore: undefined,
  testMatch: /real-guest\.spec\.ts/,
  timeout: 420_000,
  use: { ...baseConfig.use, baseURL },
  webServer: [
    consoleServer(PORT, dataDir),
    {
      // libvirtd/virtlogd are started if they are not running (the script is idempotent).
      command:
        `bash ../../scripts/libvirt-daemons.sh && rm -rf ${agentStateDir} && mkdir -m 755 ${agentStateDir} && ` +
        `NIMBUS_SERVER_URL=${baseURL} NIMBUS_AGENT_SECRET=${E2E.agentSecret} NIMBUS_HOSTNAME=${REAL_GUEST.hostname} NIMBUS_LIBVIRT_URI=qemu:///system ` +
        `NIMBUS_STATE_DIR=${agentStateDir} LOG_LEVEL=info npx tsx ../compute-agent/src/main.ts`,
      wait: { stdout: /host registered/ },
      timeout: 180_000,
      stdout: "pipe",
    },
  ],
});
