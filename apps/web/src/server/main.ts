import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { startNimbusServer } from "./app";
import { loadEnv } from "./env";
import { createLogger } from "./logger";

const env = loadEnv();
const log = createLogger(env.LOG_LEVEL);

async function main(): Promise<void> {
  let handler: ReturnType<ReturnType<typeof next>["getRequestHandler"]> | undefined;
  if (!env.NIMBUS_HEADLESS) {
    const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
    const app = next({ dev: env.NODE_ENV !== "production", dir, hostname: env.HOST, port: env.PORT });
    await app.prepare();
    handler = app.getRequestHandler();
  }
  const server = await startNimbusServer({ env, log, next: handler });
  process.stdout.write(`\n  Nimbus console: ${server.url}\n\n`);
  const shutdown = (signal: string) => {
    log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => process.exit(1), 10_000);
    deadline.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  log.fatal({ err: error }, "Nimbus failed to start");
  process.exit(1);
});
