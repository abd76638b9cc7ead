import { z } from "zod";
import type { DetailsValues } from "./details-step";
import type { FlavorValues } from "./flavor-step";
import type { NetworkValues } from "./networks-step";
import { initialPlacement, type PlacementValues } from "./placement-step";
import type { SourceValues } from "./source-step";

/** Everything the wizard holds, one part per step. */
export interface LaunchWizardValues {
  details: DetailsValues;
  source: SourceValues;
  flavor: FlavorValues;
  network: NetworkValues;
  placement: PlacementValues;
}

/**
 * The values of recent launches, kept in this tab's sessionStorage by instance id, so a build
 * that ends in ERROR can reopen the wizard with what the user typed ("Launch again").
 */
const STORAGE_KEY = "nimbus.launch-drafts";
const MAX_DRAFTS = 20;

/** Drafts saved before a field existed read with that field's initial value. */
const valuesSchema = z.object({
  details: z.object({
    name: z.string(),
    count: z.union([z.number(), z.string()]),
    minCount: z.union([z.number(), z.string()]).default(""),
    description: z.string(),
  }),
  source: z.object({ imageId: z.string() }),
  flavor: z.object({ flavorId: z.string() }),
  network: z.object({ networkId: z.string() }),
  placement: z
    .object({ availabilityZone: z.string().nullable(), forcedHost: z.string(), serverGroupId: z.string().nullable() })
    .default(initialPlacement),
});
const draftsSchema = z.array(z.object({ instanceIds: z.array(z.string()), values: valuesSchema }));
type Drafts = z.infer<typeof draftsSchema>;

function read(): Drafts {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    const parsed = draftsSchema.safeParse(raw ? JSON.parse(raw) : []);
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

export function saveLaunchDraft(instanceIds: string[], values: LaunchWizardValues): void {
  try {
    const drafts = [{ instanceIds, values }, ...read()].slice(0, MAX_DRAFTS);
    window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(drafts));
  } catch {
    // Storage full or disabled: "Launch again" is a convenience, not a requirement.
  }
}

export function loadLaunchDraft(instanceId: string): LaunchWizardValues | null {
  return read().find((d) => d.instanceIds.includes(instanceId))?.values ?? null;
}
