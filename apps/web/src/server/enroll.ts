import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Services } from "@nimbus/core/context";
import { publicError } from "@nimbus/core/errors";
import { enrollHost } from "@nimbus/core/hosts";
import { enrollRequestSchema } from "@nimbus/core/protocol";

const MAX_BODY = 4096;
const STATUS: Record<string, number> = { BadRequest: 400, Unauthenticated: 401, Forbidden: 403 };

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" }).end(JSON.stringify(body));
}

/** POST /api/agent/enroll: a compute agent exchanges a one-time join token for its host credential. */
export function enrollHandler(services: Services, log: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "POST" || req.headers["content-type"]?.split(";")[0] !== "application/json") {
      reply(res, 415, { error: "POST a JSON body" });
      return;
    }
    let body = "";
    let tooLarge = false;
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) tooLarge = true;
    });
    req.on("end", () => {
      if (tooLarge) return reply(res, 413, { error: "request too large" });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return reply(res, 400, { error: "the body is not JSON" });
      }
      const parsed = enrollRequestSchema.safeParse(json);
      if (!parsed.success) return reply(res, 400, { error: "expected { joinToken, hostname }" });
      enrollHost(services, parsed.data, req.socket.remoteAddress ?? null).then(
        (result) => {
          log.info({ hostname: result.hostname }, "compute host enrolled");
          reply(res, 200, result);
        },
        (error: unknown) => {
          const { code, message } = publicError(error);
          if (code === "Internal") log.error({ err: error }, "enrolment failed");
          else log.warn({ hostname: parsed.data.hostname, code }, "enrolment refused");
          reply(res, STATUS[code] ?? 500, { error: message });
        },
      );
    });
  };
}
