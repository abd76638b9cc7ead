import type { z } from "zod";

/** One message per field, shown next to that field (Mantine's `error` prop). */
export type StepErrors<F extends string = string> = Partial<Record<F, string>>;

/**
 * Parses a step's payload with the step's schema and keeps the first message per field.
 * `whenMissing` words the "nothing entered" case, which the shared schema leaves to zod's
 * generic type message.
 */
export function validateStep<F extends string>(schema: z.ZodType, payload: unknown, whenMissing: Partial<Record<F, string>> = {}): StepErrors<F> {
  const result = schema.safeParse(payload);
  if (result.success) return {};
  const errors: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const field = String(issue.path[0] ?? "");
    if (field in errors) continue;
    const missing = issue.code === "invalid_type" ? (whenMissing as Record<string, string | undefined>)[field] : undefined;
    errors[field] = missing ?? issue.message;
  }
  return errors as StepErrors<F>;
}

export function hasErrors(errors: StepErrors): boolean {
  return Object.values(errors).some(Boolean);
}
