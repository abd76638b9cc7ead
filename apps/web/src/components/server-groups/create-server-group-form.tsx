"use client";

import { NumberInput, Paper, Select, Stack, Text, TextInput } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import { SERVER_GROUP_POLICIES, isServerGroupPolicy, policySpec, type ServerGroupPolicy } from "@/lib/server-group-policy";
import { useTRPC } from "@/lib/trpc";
import { useMutationForm } from "@/lib/use-mutation-form";

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
  const {
    values,
    edit,
    mutation: create,
    error,
    fieldError,
    placed,
  } = useMutationForm(
    initialValues,
    FORM_FIELDS,
    trpc.serverGroups.create.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.serverGroups.list.queryKey() });
      },
    }),
  );
  const antiAffinity = values.policy === "anti-affinity";

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(toInput(values));
  }

  return (
    <Paper withBorder p="lg" component="section" aria-labelledby="create-server-group-title">
      <Text fw={600} mb="sm" id="create-server-group-title">
        Create a server group
      </Text>
      <form onSubmit={submit} noValidate>
        <Stack maw={520}>
          <TextInput
            label="Group name"
            required
            value={values.name}
            onChange={(e) => edit({ name: e.currentTarget.value })}
            error={fieldError("name")}
          />
          <Select
            label="Policy"
            description={policySpec(values.policy).description}
            required
            data={SERVER_GROUP_POLICIES.map((p) => ({ value: p, label: policySpec(p).label }))}
            value={values.policy}
            onChange={(policy) => policy && isServerGroupPolicy(policy) && edit({ policy })}
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
            onChange={(maxServerPerHost) => edit({ maxServerPerHost })}
            error={fieldError("maxServerPerHost")}
          />
          <FormFooter
            error={placed ? null : error}
            errorTitle="Could not create the server group"
            submitLabel="Create server group"
            pending={create.isPending}
          />
        </Stack>
      </form>
    </Paper>
  );
}
