import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { agentHandshakeSchema } from "@nimbus/core/protocol/agent";
import { Backoff } from "./backoff";
import { isMissingFile, messageOf } from "./error-message";

/** Where the agent's secret comes from: the environment, or the file the web server writes. */
export type SecretSource = { kind: "inline"; secret: string } | { kind: "file"; path: string };

/** Returns the secret to present in the next handshake; never rejects. */
export type SecretProvider = () => Promise<string>;

/**
 * Resolves once a secret is available. The web server writes the secret file on its first
 * start, so a missing or not yet valid file is waited for. The provider re-reads the file on
 * every connection attempt so that a secret the server rewrote is picked up without a restart.
 */
export async function waitForSecret(source: SecretSource, log: Logger): Promise<SecretProvider> {
  if (source.kind === "inline") return async () => source.secret;
  const backoff = new Backoff(250, 5000);
  let secret = await readSecretFile(source.path);
  if (secret === null) {
    // Said once: on a first start the web server writes the file only after its build, minutes later.
    log.info({ path: source.path }, "waiting for the web server to write the agent secret file (it does on its first start)");
  }
  while (secret === null) {
    await sleep(backoff.next());
    secret = await readSecretFile(source.path);
  }
  let last = secret;
  return async () => {
    try {
      last = (await readSecretFile(source.path)) ?? last;
    } catch (error) {
      log.warn({ err: error }, "keeping the previous agent secret");
    }
    return last;
  };
}

/** The handshake's `secret` field, which is optional there because a host credential may replace it. */
const secretSchema = agentHandshakeSchema.shape.secret.unwrap();

async function readSecretFile(path: string): Promise<string | null> {
  try {
    const parsed = secretSchema.safeParse((await readFile(path, "utf8")).trim());
    return parsed.success ? parsed.data : null;
  } catch (error) {
    if (isMissingFile(error)) return null;
    throw new Error(`Cannot read the agent secret file ${path}: ${messageOf(error)}`, { cause: error });
  }
}
