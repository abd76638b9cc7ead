import type { IncomingMessage } from "node:http";
import type { Logger } from "pino";
import type { Services } from "@nimbus/core/context";
import { publicError } from "@nimbus/core/errors";
import { enrollHost } from "@nimbus/core/hosts";
import { ENROLL_PATH } from "@nimbus/core/protocol/http";
import { HTTP_STATUS, replyJson } from "./http-reply";
import { HttpRefusal, readJsonBody, type RawRoute } from "./http-routes";

const MAX_BODY = 4096;

/** `{ error }`: what the agent reads from its routes (apps/compute-agent/src/http-reason.ts). */
export const agentErrorBody = (_code: string, message: string) => ({ error: message });

/** POST /api/agent/enroll: a compute agent exchanges a one-time join token for its host credential. */
export function enrollRoute(services: Services, log: Logger, clientAddress: (req: IncomingMessage) => string | null): RawRoute {
  return {
    path: ENROLL_PATH,
    methods: ["POST"],
    maxBodyBytes: MAX_BODY,
    errorBody: agentErrorBody,
    async handle({ req, res }) {
      if (req.headers["content-type"]?.split(";")[0] !== "application/json") throw new HttpRefusal(415, "UnsupportedMediaType", "POST a JSON body");
      const body = await readJsonBody(req, MAX_BODY);
      try {
        const result = await enrollHost(services, body, clientAddress(req));
        log.info({ hostname: result.hostname }, "compute host enrolled");
        replyJson(res, 200, result);
      } catch (error) {
        const { code, message } = publicError(error);
        if (code === "Internal") throw error;
        log.warn({ code }, "enrolment refused");
        replyJson(res, HTTP_STATUS[code], { error: message });
      }
    },
  };
}
