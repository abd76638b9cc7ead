import { z } from "zod";

const errorBodySchema = z.object({ error: z.string() });
const MAX_REASON_LENGTH = 500;

/**
 * Why the server refused an HTTP request, in its own words: its `{ error }` body, or the start of
 * whatever else it answered, or the status text.
 */
export async function reasonOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = errorBodySchema.safeParse(json);
  return (parsed.success ? parsed.data.error : text.trim() || response.statusText || "no reason given").slice(0, MAX_REASON_LENGTH);
}
