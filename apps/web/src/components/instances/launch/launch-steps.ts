import { DETAILS_FIELDS, initialDetails, validateDetails } from "./details-step";
import { FLAVOR_FIELDS, initialFlavor, validateFlavor } from "./flavor-step";
import type { LaunchWizardValues } from "./launch-draft";
import { initialNetwork, NETWORK_FIELDS, validateNetwork } from "./networks-step";
import { initialPlacement, PLACEMENT_FIELDS, PLACEMENT_INPUT_FIELD, validatePlacement } from "./placement-step";
import { initialSource, SOURCE_FIELDS, SOURCE_INPUT_FIELD, validateSource } from "./source-step";
import { CONFIGURATION_FIELDS, initialConfiguration, validateConfiguration } from "./configuration-step";
import type { StepErrors } from "./step-validation";

export type StepKey = keyof LaunchWizardValues;

export interface StepSpec {
  key: StepKey;
  label: string;
  description: string;
  /** Fields of the launch input this step owns: server errors on them reopen this step. */
  fields: readonly string[];
  /** The launch input field a value of the step ends up in, where its name differs. */
  inputFieldOf?: Readonly<Record<string, string>>;
  /** Whether the defaults will do: the launch button shows on every step after which only optional steps remain. */
  optional: boolean;
  validate(values: LaunchWizardValues): StepErrors;
}

/** The wizard's steps, in order. Each validates only its own part with its own schema. */
export const LAUNCH_STEPS: readonly StepSpec[] = [
  {
    key: "details",
    label: "Details",
    description: "Name and count",
    fields: DETAILS_FIELDS,
    optional: false,
    validate: (v) => validateDetails(v.details),
  },
  {
    key: "source",
    label: "Source",
    description: "Boot image or volume",
    fields: SOURCE_FIELDS,
    inputFieldOf: SOURCE_INPUT_FIELD,
    optional: false,
    validate: (v) => validateSource(v.source),
  },
  { key: "flavor", label: "Flavor", description: "Size", fields: FLAVOR_FIELDS, optional: false, validate: (v) => validateFlavor(v.flavor) },
  {
    key: "network",
    label: "Networks",
    description: "Attachment",
    fields: NETWORK_FIELDS,
    optional: false,
    validate: (v) => validateNetwork(v.network),
  },
  { key: "security", label: "Security groups", description: "Firewall", fields: ["securityGroupIds"], optional: true, validate: () => ({}) },
  { key: "keyPair", label: "Key pair", description: "SSH access", fields: ["keyName"], optional: true, validate: () => ({}) },
  {
    key: "configuration",
    label: "Configuration",
    description: "User data",
    fields: CONFIGURATION_FIELDS,
    optional: true,
    validate: (v) => validateConfiguration(v.configuration),
  },
  { key: "volumes", label: "Volumes", description: "Extra disks", fields: ["volumes"], optional: true, validate: () => ({}) },
  {
    key: "placement",
    label: "Placement",
    description: "Zone and group",
    fields: PLACEMENT_FIELDS,
    inputFieldOf: PLACEMENT_INPUT_FIELD,
    optional: true,
    validate: (v) => validatePlacement(v.placement),
  },
];

export const initialLaunchValues: LaunchWizardValues = {
  details: initialDetails,
  source: initialSource,
  flavor: initialFlavor,
  network: initialNetwork,
  security: { securityGroupIds: [] },
  keyPair: { keyName: null },
  configuration: initialConfiguration,
  volumes: { volumes: [] },
  placement: initialPlacement,
};

/** Whether the launch can be submitted from step `index`: every later step is optional. */
export function canLaunchFrom(index: number): boolean {
  return LAUNCH_STEPS.slice(index + 1).every((s) => s.optional);
}

/** The launch input fields that change when value `field` of step `key` changes. */
export function inputFieldsOf(key: StepKey, field: string): string[] {
  const mapped = LAUNCH_STEPS.find((s) => s.key === key)?.inputFieldOf?.[field];
  return mapped && mapped !== field ? [field, mapped] : [field];
}

/** Index of the step owning `field`, or -1. */
export function stepOfField(field: string): number {
  return LAUNCH_STEPS.findIndex((s) => s.fields.includes(field));
}
