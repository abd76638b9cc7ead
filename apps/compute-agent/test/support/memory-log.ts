import { pino, type Logger } from "pino";
import { z } from "zod";

const lineSchema = z.record(z.string(), z.unknown());

/** A logger whose lines are kept in memory, parsed, for tests to inspect. */
export function memoryLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void lines.push(lineSchema.parse(JSON.parse(line))) });
  return { log, lines };
}
