/** The message of anything thrown, for logs and for the `message` of an error report. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
