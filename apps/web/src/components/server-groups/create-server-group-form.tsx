"use client";

import { Alert, Button, Group, NumberInput, Paper, Select, Stack, Text, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { SERVER_GROUP_POLICIES, isServerGroupPolicy, policySpec, type ServerGroupPolicy } from "@/lib/server-group-policy";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

interface ServerGroupFormValues {
  name: string;
  policy: ServerGroupPolicy;
  /** NumberInput gives "" while the field is empty (= no limit beyond the policy's 1). */
  maxServerPerHost: number | string;
}

const FORM_FIELDS: readonly string[] = ["name", "policy", "maxServerPerHost"];
const initialValues: ServerGroupFormValues = { name: "", policy: "anti-affinity", maxServerPerHost: "" };

/** The create input of serverGroups.create: a maximum per host only for hard anti-affinity. */
function toInput(values: ServerGroupFormValues) {
  return {
    name: values.name,
    policy: values.policy,
    maxServerPerHost: values.policy === "anti-affinity" && typeof values.maxServerPerHost === "number" ? values.maxServerPerHost : null,
  };
}

/** Creates a server group of the current project; the server's refusals show next to the fields. */
export function CreateServerGroupForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState(initialValues);
  const create = useMutation(
    trpc.serverGroups.create.mutationOptions({
      onSuccess: () => {
        setValues(initialValues);
        void queryClient.invalidateQueries({ queryKey: trpc.serverGroups.list.queryKey() });
      },
    }),
  );
  const error = create.error ? toFormError(create.error) : null;
  const fieldError = (field: string) => error?.fieldErrors[field]?.[0];
  const antiAffinity = values.policy === "anti-affinity";

  function change(next: Partial<ServerGroupFormValues>) {
    setValues((v) => ({ ...v, ...next }));
    if (create.isError) create.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(toInput(values));
  }

  // Errors on the form's own fields show next to them; anything else in the alert.
  const placed = error !== null && Object.keys(error.fieldErrors).length > 0 && Object.keys(error.fieldErrors).every((f) => FORM_FIELDS.includes(f));
  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-server-group-title">
      <Text fw={600} mb="sm" id="create-server-group-title">
        Create a server group
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack maw={520}>
          <TextInput label="Group name" required value={values.name} onChange={(e) => change({ name: e.currentTarget.value })} error={fieldError("name")} />
          <Select
            label="Policy"
            description={policySpec(values.policy).description}
            required
            data={SERVER_GROUP_POLICIES.map((p) => ({ value: p, label: policySpec(p).label }))}
            value={values.policy}
            onChange={(policy) => policy && isServerGroupPolicy(policy) && change({ policy })}
            allowDeselect={false}
            error={fieldError("policy")}
          />
          <NumberInput
            label="Max servers per host"
            description={antiAffinity ? "How many members one host may hold (blank: 1)." : "Applies to the anti-affinity policy only."}
            disabled={!antiAffinity}
            min={1}
            max={1000}
            clampBehavior="none"
            allowDecimal={false}
            allowNegative={false}
            value={antiAffinity ? values.maxServerPerHost : ""}
            onChange={(maxServerPerHost) => change({ maxServerPerHost })}
            error={fieldError("maxServerPerHost")}
          />
          {error && !placed && (
            <Alert color="red" title="Could not create the server group">
              {error.message}
            </Alert>
          )}
          <Group>
            <Button type="submit" loading={create.isPending}>
              Create server group
            </Button>
          </Group>
        </Stack>
      </form>
    </Paper>
  );
}
