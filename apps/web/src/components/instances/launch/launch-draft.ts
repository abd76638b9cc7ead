import { z } from "zod";
import type { DetailsValues } from "./details-step";
import type { FlavorValues } from "./flavor-step";
import type { NetworkValues } from "./networks-step";
import { initialPlacement, type PlacementValues } from "./placement-step";
import { initialSource, type SourceValues } from "./source-step";
import { initialConfiguration, type ConfigurationValues } from "./configuration-step";
import type { ChosenVolume } from "./volumes-step";

/** Everything the wizard holds, one part per step. */
export interface LaunchWizardValues {
  details: DetailsValues;
  source: SourceValues;
  flavor: FlavorValues;
  network: NetworkValues;
  security: { securityGroupIds: string[] };
  keyPair: { keyName: string | null };
  configuration: ConfigurationValues;
  volumes: { volumes: ChosenVolume[] };
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
  source: z.object({
    kind: z.enum(["image", "image-to-volume", "volume"]).default(initialSource.kind),
    imageId: z.string(),
    volumeSizeGb: z.union([z.number(), z.string()]).default(initialSource.volumeSizeGb),
    volumeId: z.string().default(""),
    deleteOnTermination: z.boolean().default(initialSource.deleteOnTermination),
  }),
  flavor: z.object({ flavorId: z.string() }),
  network: z.object({ networkId: z.string() }),
  security: z.object({ securityGroupIds: z.array(z.string()) }).default({ securityGroupIds: [] }),
  keyPair: z.object({ keyName: z.string().nullable() }).default({ keyName: null }),
  configuration: z
    .object({ userData: z.string(), metadata: z.array(z.object({ key: z.string(), value: z.string() })), configDrive: z.boolean() })
    .default(initialConfiguration),
  volumes: z.object({ volumes: z.array(z.object({ volumeId: z.string(), deleteOnTermination: z.boolean() })) }).default({ volumes: [] }),
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
