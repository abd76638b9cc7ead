/** The message of anything thrown, for logs and for the `message` of an error report. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error says a file (or the program to run) does not exist: `ENOENT`. */
export function isMissingFile(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}
