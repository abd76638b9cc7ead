import pino, { type DestinationStream, type Logger } from "pino";
import { errorForLog } from "@nimbus/core/error-log";

/**
 * The web process's logger. Every error is logged through core's `errorForLog`: a failed query
 * says which query and its SQLSTATE, never its parameters (user data, metadata, names), so no
 * call site has to remember to leave them out. Secrets under the usual keys are redacted.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: ["*.password", "*.secret", "*.token", "req.headers.cookie"],
    serializers: { err: errorForLog },
  };
  return destination ? pino(options, destination) : pino(options);
}
