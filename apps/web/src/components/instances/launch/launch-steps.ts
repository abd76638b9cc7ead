import { DETAILS_FIELDS, initialDetails, validateDetails } from "./details-step";
import { FLAVOR_FIELDS, initialFlavor, validateFlavor } from "./flavor-step";
import type { LaunchWizardValues } from "./launch-draft";
import { initialNetwork, NETWORK_FIELDS, validateNetwork } from "./networks-step";
import { initialSource, SOURCE_FIELDS, validateSource } from "./source-step";
import type { StepErrors } from "./step-validation";

export type StepKey = keyof LaunchWizardValues;

export interface StepSpec {
  key: StepKey;
  label: string;
  description: string;
  /** Fields of the launch input this step owns: server errors on them reopen this step. */
  fields: readonly string[];
  validate(values: LaunchWizardValues): StepErrors;
}

/** The wizard's steps, in order. Each validates only its own part with its own schema. */
export const LAUNCH_STEPS: readonly StepSpec[] = [
  { key: "details", label: "Details", description: "Name and count", fields: DETAILS_FIELDS, validate: (v) => validateDetails(v.details) },
  { key: "source", label: "Source", description: "Boot image", fields: SOURCE_FIELDS, validate: (v) => validateSource(v.source) },
  { key: "flavor", label: "Flavor", description: "Size", fields: FLAVOR_FIELDS, validate: (v) => validateFlavor(v.flavor) },
  { key: "network", label: "Networks", description: "Attachment", fields: NETWORK_FIELDS, validate: (v) => validateNetwork(v.network) },
];

export const initialLaunchValues: LaunchWizardValues = {
  details: initialDetails,
  source: initialSource,
  flavor: initialFlavor,
  network: initialNetwork,
};

/** Index of the step owning `field`, or -1. */
export function stepOfField(field: string): number {
  return LAUNCH_STEPS.findIndex((s) => s.fields.includes(field));
}
