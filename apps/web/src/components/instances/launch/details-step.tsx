"use client";

import { NumberInput, Stack, Textarea, TextInput } from "@mantine/core";
import { launchInstanceFields, MAX_COUNT } from "@nimbus/core/validation";
import { validateStep, type StepErrors } from "./step-validation";

/** Step 1, Details: what to call the instances and how many to launch. */
export interface DetailsValues {
  name: string;
  /** NumberInput gives "" while the field is empty. */
  count: number | string;
  /** Nova's min_count; "" (blank) launches exactly `count`. */
  minCount: number | string;
  description: string;
}
export type DetailsField = keyof DetailsValues;

export const detailsSchema = launchInstanceFields
  .pick({ name: true, count: true, minCount: true, description: true })
  // The same rule as the launch input's; the step checks it before the server does.
  .refine((v) => v.minCount === undefined || v.minCount <= v.count, { path: ["minCount"], message: "Minimum count cannot exceed count." });
export const DETAILS_FIELDS: readonly DetailsField[] = ["name", "count", "minCount", "description"];
export const initialDetails: DetailsValues = { name: "", count: 1, minCount: "", description: "" };

export function detailsPayload(values: DetailsValues) {
  return {
    name: values.name,
    count: typeof values.count === "number" ? values.count : undefined,
    minCount: typeof values.minCount === "number" ? values.minCount : undefined,
    description: values.description,
  };
}

export function validateDetails(values: DetailsValues): StepErrors<DetailsField> {
  return validateStep<DetailsField>(detailsSchema, detailsPayload(values), { count: "Enter how many instances to launch." });
}

interface DetailsStepProps {
  values: DetailsValues;
  errors: StepErrors<DetailsField>;
  onChange(values: DetailsValues): void;
}

export function DetailsStep({ values, errors, onChange }: DetailsStepProps) {
  return (
    <Stack maw={520}>
      <TextInput
        label="Instance name"
        description="With a count above 1, instances are named name-1, name-2, …"
        required
        value={values.name}
        onChange={(e) => onChange({ ...values, name: e.currentTarget.value })}
        error={errors.name}
        data-autofocus
      />
      <NumberInput
        label="Count"
        description={`How many instances to launch at once (1 to ${MAX_COUNT}).`}
        required
        min={1}
        max={MAX_COUNT}
        clampBehavior="none"
        allowDecimal={false}
        allowNegative={false}
        value={values.count}
        onChange={(count) => onChange({ ...values, count })}
        error={errors.count}
      />
      <NumberInput
        label="Minimum count"
        description="Launch at least this many, and as many more up to Count as the quota allows. Leave blank to launch exactly Count."
        min={1}
        max={MAX_COUNT}
        clampBehavior="none"
        allowDecimal={false}
        allowNegative={false}
        value={values.minCount}
        onChange={(minCount) => onChange({ ...values, minCount })}
        error={errors.minCount}
      />
      <Textarea
        label="Description"
        autosize
        minRows={2}
        maxRows={5}
        value={values.description}
        onChange={(e) => onChange({ ...values, description: e.currentTarget.value })}
        error={errors.description}
      />
    </Stack>
  );
}
