/** Input schemas shared by the API and the console's forms (pure: safe in the browser). */
import { z } from "zod";

export const instanceNameSchema = z
  .string()
  .trim()
  .min(1, "Enter an instance name.")
  .max(63, "Use at most 63 characters.")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "Start with a letter or digit; use only letters, digits, '.', '_' and '-'.");

export const MAX_COUNT = 10;

/** The launch fields; wizard steps pick from these. */
export const launchInstanceFields = z
  .object({
  name: instanceNameSchema,
  count: z.number().int("Count must be a whole number.").min(1, "Launch at least 1 instance.").max(MAX_COUNT, `Launch at most ${MAX_COUNT} at once.`),
  imageId: z.uuid("Choose an image."),
  flavorId: z.uuid("Choose a flavor."),
  networkId: z.uuid("Choose a network."),
  description: z.string().max(255, "Use at most 255 characters.").default(""),
  /** Nova's min_count: launch as many as quota allows between this and `count`. */
  minCount: z.number().int().min(1).max(MAX_COUNT).optional(),
  /** An availability zone; admins may write `zone:host` to force a host. */
  availabilityZone: z
    .string()
    .trim()
    .max(255)
    .regex(/^[A-Za-z0-9._-]*(:[A-Za-z0-9._-]+)?$/, "Use a zone name, or zone:host.")
    .nullable()
    .default(null),
  serverGroupId: z.uuid("Not a server group id.").nullable().default(null),
  /** Repeating a launch with the same key returns the same instances and claims nothing twice. */
  idempotencyKey: z.string().trim().min(8).max(255).optional(),
});

export const launchInstanceInput = launchInstanceFields.refine((v) => v.minCount === undefined || v.minCount <= v.count, { path: ["minCount"], message: "Minimum count cannot exceed count." });
export type LaunchInstanceInput = z.input<typeof launchInstanceInput>;

export const instanceIdInput = z.object({ id: z.uuid("Not an instance id.") });
export const idInput = z.object({ id: z.uuid("Not a valid id.") });
