import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Services } from "@nimbus/core/context";
import { publicError } from "@nimbus/core/errors";
import { enrollHost } from "@nimbus/core/hosts";
import { enrollRequestSchema } from "@nimbus/core/protocol/http";
import { HTTP_STATUS, replyJson } from "./http-reply";

const MAX_BODY = 4096;

/** POST /api/agent/enroll: a compute agent exchanges a one-time join token for its host credential. */
export function enrollHandler(services: Services, log: Logger) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== "POST" || req.headers["content-type"]?.split(";")[0] !== "application/json") {
      replyJson(res, 415, { error: "POST a JSON body" });
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
      if (tooLarge) return replyJson(res, 413, { error: "request too large" });
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        return replyJson(res, 400, { error: "the body is not JSON" });
      }
      const parsed = enrollRequestSchema.safeParse(json);
      if (!parsed.success) return replyJson(res, 400, { error: "expected { joinToken, hostname }" });
      enrollHost(services, parsed.data, req.socket.remoteAddress ?? null).then(
        (result) => {
          log.info({ hostname: result.hostname }, "compute host enrolled");
          replyJson(res, 200, result);
        },
        (error: unknown) => {
          const { code, message } = publicError(error);
          if (code === "Internal") log.error({ err: error }, "enrolment failed");
          else log.warn({ hostname: parsed.data.hostname, code }, "enrolment refused");
          replyJson(res, HTTP_STATUS[code], { error: message });
        },
      );
    });
  };
}
