"use client";

import { Select, Stack, Text, TextInput } from "@mantine/core";
import { launchInstanceFields } from "@nimbus/core/validation";
import type { ServerGroup } from "@/lib/api-types";
import { policySpec } from "@/lib/server-group-policy";
import { validateStep, type StepErrors } from "./step-validation";

/** Step 5, Placement (optional): where the scheduler may put the instances. */
export interface PlacementValues {
  /** An availability zone, or null for any zone. */
  availabilityZone: string | null;
  /** Cloud admins only: a hostname to force (Nova's `zone:host`); "" for none. */
  forcedHost: string;
  /** A server group of the project, or null for none. */
  serverGroupId: string | null;
}
/** Fields of the launch input this step owns (the forced host travels inside availabilityZone). */
export type PlacementField = "availabilityZone" | "serverGroupId";

export const placementSchema = launchInstanceFields.pick({ availabilityZone: true, serverGroupId: true });
export const PLACEMENT_FIELDS: readonly PlacementField[] = ["availabilityZone", "serverGroupId"];
/** The launch input field each value ends up in: the forced host travels in availabilityZone. */
export const PLACEMENT_INPUT_FIELD: Record<keyof PlacementValues, PlacementField> = {
  availabilityZone: "availabilityZone",
  forcedHost: "availabilityZone",
  serverGroupId: "serverGroupId",
};
export const initialPlacement: PlacementValues = { availabilityZone: null, forcedHost: "", serverGroupId: null };

/** Nova's availability_zone hint: "zone", "zone:host" or ":host" (admins), or null for anywhere. */
export function placementPayload(values: PlacementValues) {
  const host = values.forcedHost.trim();
  return {
    availabilityZone: host ? `${values.availabilityZone ?? ""}:${host}` : values.availabilityZone,
    serverGroupId: values.serverGroupId,
  };
}

export function validatePlacement(values: PlacementValues): StepErrors<PlacementField> {
  return validateStep<PlacementField>(placementSchema, placementPayload(values));
}

/** Select values cannot be null: these stand for "no choice" (neither is a valid zone name or uuid). */
const ANY_ZONE = "__any__";
const NO_GROUP = "__none__";

interface PlacementStepProps {
  zones: string[];
  serverGroups: ServerGroup[];
  /** Only cloud administrators may force a host. */
  canForceHost: boolean;
  values: PlacementValues;
  errors: StepErrors<PlacementField>;
  onChange(values: PlacementValues): void;
}

export function PlacementStep({ zones, serverGroups, canForceHost, values, errors, onChange }: PlacementStepProps) {
  const forcing = canForceHost && values.forcedHost.trim() !== "";
  const group = serverGroups.find((g) => g.id === values.serverGroupId);
  return (
    <Stack maw={520}>
      <Text size="sm" c="dimmed">
        Optional: leave these as they are to let the scheduler choose.
      </Text>
      <Select
        label="Availability zone"
        description="The zone the instances are placed in."
        data={[{ value: ANY_ZONE, label: "Any zone" }, ...zones.map((zone) => ({ value: zone, label: zone }))]}
        value={values.availabilityZone ?? ANY_ZONE}
        onChange={(value) => onChange({ ...values, availabilityZone: value && value !== ANY_ZONE ? value : null })}
        allowDeselect={false}
        error={forcing ? undefined : errors.availabilityZone}
      />
      {canForceHost && (
        <TextInput
          label="Force host (admins)"
          description="A hostname: bypasses the zone and resource choice and builds on that host (Nova's zone:host)."
          placeholder="hostname"
          value={values.forcedHost}
          onChange={(e) => onChange({ ...values, forcedHost: e.currentTarget.value })}
          error={forcing ? errors.availabilityZone : undefined}
          autoComplete="off"
          spellCheck={false}
        />
      )}
      <Select
        label="Server group"
        description={group ? policySpec(group.policy).description : "Place the instances as members of a group of this project."}
        data={[
          { value: NO_GROUP, label: "None" },
          ...serverGroups.map((g) => ({ value: g.id, label: `${g.name} (${policySpec(g.policy).label.toLowerCase()})` })),
        ]}
        value={values.serverGroupId ?? NO_GROUP}
        onChange={(value) => onChange({ ...values, serverGroupId: value && value !== NO_GROUP ? value : null })}
        allowDeselect={false}
        error={errors.serverGroupId}
        nothingFoundMessage="No server groups"
      />
    </Stack>
  );
}
