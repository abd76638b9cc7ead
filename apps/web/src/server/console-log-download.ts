import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Credential, Services } from "@nimbus/core/context";
import { readConsoleLog } from "@nimbus/core/compute";
import { isNimbusError } from "@nimbus/core/errors";
import type { Principal } from "@nimbus/core/policy";
import { HTTP_STATUS } from "./http-reply";
import { HttpRefusal } from "./http-routes";

export interface ConsoleLogDeps {
  services: Services;
  resolvePrincipal(req: IncomingMessage): Promise<{ principal: Principal | null; credential?: Credential | null }>;
  clientAddress(req: IncomingMessage): string | null;
}

/** A download's file name: the instance's name (letters, digits, `.`, `_`, `-` as names are), then `-console.log`. */
export function consoleLogFileName(instanceName: string): string {
  const safe = instanceName.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 63) || "instance";
  return `${safe}-console.log`;
}

/**
 * GET /api/instances/:id/console-log: the instance's whole serial console log as a file, oldest
 * first, for whoever may read the console on the instance page (`http:instance-console-log`),
 * signed in as for the API (session cookie or API token). Streamed page by page from the
 * database, as the client takes it; a client that goes away stops the reading.
 */
export function consoleLogHandler({ services, resolvePrincipal, clientAddress }: ConsoleLogDeps) {
  return async (req: IncomingMessage, res: ServerResponse, instanceId: string): Promise<void> => {
    const { principal, credential } = await resolvePrincipal(req);
    const ctx = { ...services, principal, credential: credential ?? null, requestId: `req-${randomUUID()}`, remoteAddress: clientAddress(req) };
    const log = await readConsoleLog({ ctx, input: { id: instanceId } }).catch((error: unknown) => {
      if (isNimbusError(error)) throw new HttpRefusal(HTTP_STATUS[error.code], error.code, error.message);
      throw error;
    });
    res.writeHead(200, {
      "content-type": "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="${consoleLogFileName(log.name)}"`,
      "cache-control": "no-store",
    });
    for await (const page of log.pages) {
      if (res.destroyed) return;
      if (!res.write(page)) await Promise.race([once(res, "drain"), once(res, "close")]);
    }
    res.end();
  };
}
