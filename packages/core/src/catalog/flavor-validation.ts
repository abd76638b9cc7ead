/** Flavor input schemas (Nova's flavor-manage, extra specs and access), pure: safe in the browser. */
import { z } from "zod";
import { INT4_MAX, keyErrors, text } from "../validation";

/** Nova's flavor names: printable, no leading or trailing space, at most 255 characters. */
export const flavorNameSchema = text("Flavor name")
  .min(1, "Enter a flavor name.")
  .max(255, "Use at most 255 characters.")
  .refine((v) => v.trim() === v, "A flavor name cannot start or end with a space.")
  .refine((v) => v.trim().length > 0, "Enter a flavor name.");

const size = (label: string, min: 0 | 1) =>
  z
    .number({ error: `${label} must be a whole number.` })
    .int(`${label} must be a whole number.`)
    .min(min, min === 1 ? `${label} must be at least 1.` : `${label} cannot be negative.`)
    .max(INT4_MAX, `${label} must be at most ${INT4_MAX}.`);

/** A flavor's description (Nova 2.55): free text up to 65,535 characters. */
export const flavorDescriptionSchema = text("Description").max(65_535, "Use at most 65,535 characters.");

/** Nova's extra spec keys: letters, digits and `- _ : .` and spaces, 1 to 255 characters. */
export const extraSpecKeySchema = text("Property names")
  .min(1, "A property name cannot be empty.")
  .max(255, "Use at most 255 characters for a property name.")
  .regex(/^[a-zA-Z0-9-_:. ]+$/, "Use only letters, digits, spaces and - _ : . in a property name.");
export const extraSpecValueSchema = text("Property values").max(255, "Use at most 255 characters for a property value.");

/** The most properties (extra specs) one flavor holds. */
export const MAX_EXTRA_SPECS = 256;

const extraSpecsSchema = z
  .record(extraSpecKeySchema, extraSpecValueSchema, keyErrors)
  .refine((specs) => Object.keys(specs).length <= MAX_EXTRA_SPECS, `A flavor holds at most ${MAX_EXTRA_SPECS} properties.`);

export const createFlavorInput = z.object({
  /** The flavor's id; null or left out: one is made. */
  id: z.uuid("A flavor id is a UUID; leave it out to have one made.").nullable().default(null),
  name: flavorNameSchema,
  description: flavorDescriptionSchema.nullable().default(null),
  vcpus: size("vCPUs", 1),
  memoryMb: size("RAM (MB)", 1),
  /** 0: the root disk is as large as the image (Nova's zero-disk flavors). */
  rootGb: size("Root disk (GB)", 0),
  /** Nimbus builds no ephemeral disk: 0 only. */
  ephemeralGb: size("Ephemeral disk (GB)", 0).max(0, "Nimbus builds no ephemeral disk: use 0.").default(0),
  /** Nimbus builds no swap disk: 0 only. */
  swapMb: size("Swap (MB)", 0).max(0, "Nimbus builds no swap disk: use 0.").default(0),
  isPublic: z.boolean().default(true),
  extraSpecs: extraSpecsSchema.default({}),
});
export type CreateFlavorInput = z.input<typeof createFlavorInput>;

export const flavorIdInput = z.object({ id: z.uuid("Not a flavor id.") });

export const updateFlavorInput = z.object({
  id: z.uuid("Not a flavor id."),
  /** The new description; null clears it. */
  description: flavorDescriptionSchema.nullable(),
});

export const setFlavorPropertiesInput = z
  .object({
    id: z.uuid("Not a flavor id."),
    /** Properties to add or change. */
    set: extraSpecsSchema.default({}),
    /** Properties to remove, by name; each must exist. */
    unset: z
      .array(extraSpecKeySchema)
      .max(MAX_EXTRA_SPECS)
      .refine((keys) => new Set(keys).size === keys.length, "Name each property once.")
      .default([]),
  })
  .refine((v) => v.unset.every((key) => !Object.hasOwn(v.set, key)), { path: ["unset"], message: "A property cannot be set and removed at once." });

export const listFlavorsInput = z
  .object({
    /**
     * Nova's is_public filter, for cloud admins: true (the default) public flavors and those
     * offered to the caller's project, false private ones only, null every flavor. Others always
     * see the public flavors and those offered to their project.
     */
    isPublic: z.boolean().nullable().default(true),
    minMemoryMb: size("Minimum RAM (MB)", 0).optional(),
    minRootGb: size("Minimum disk (GB)", 0).optional(),
  })
  .default({ isPublic: true });

export const flavorAccessInput = z.object({
  id: z.uuid("Not a flavor id."),
  projectId: z.uuid("Not a project id."),
});
