import { defineConfig } from "@playwright/test";

const PORT = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://127.0.0.1:${PORT}`;
const dataDir = process.env.E2E_DATA_DIR ?? "/tmp/nimbus-e2e";
export const E2E = { adminPassword: "e2e-admin-password", agentSecret: "e2e-agent-secret-0123456789abcdef", hostname: "e2e-node" };

/** The production console on `port`, started from an empty data dir, as each browser-test cloud runs it. */
export function consoleServer(port: number, dataDir: string) {
  return {
    command: `rm -rf ${dataDir} && NODE_ENV=production PORT=${port} NIMBUS_DATA_DIR=${dataDir} NIMBUS_ADMIN_PASSWORD=${E2E.adminPassword} NIMBUS_AGENT_SECRET=${E2E.agentSecret} LOG_LEVEL=warn npx tsx src/server/main.ts`,
    url: `http://127.0.0.1:${port}/login`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: "pipe" as const,
  };
}

/** Browser tests drive Debian's Chromium against the production build with a real agent. */
export default defineConfig({
  testDir: "e2e",
  // The guest that really boots has its own cloud (playwright.real-guest.config.ts).
  testIgnore: /real-guest\.spec\.ts/,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  workers: 1,
  reporter: [["list"]],
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    },
  },
  webServer: [
    consoleServer(PORT, dataDir),
    {
      // The agent serves nothing: it is ready once its host is registered.
      command: `NIMBUS_SERVER_URL=${baseURL} NIMBUS_AGENT_SECRET=${E2E.agentSecret} NIMBUS_HOSTNAME=${E2E.hostname} NIMBUS_STATE_DIR=${dataDir}-agent NIMBUS_DISK_GB=200 LOG_LEVEL=info npx tsx ../compute-agent/src/main.ts`,
      wait: { stdout: /host registered/ },
      timeout: 120_000,
      stdout: "pipe",
    },
  ],
});
