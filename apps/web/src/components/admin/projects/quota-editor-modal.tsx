"use client";

import { Alert, Button, Group, Loader, Modal, NumberInput, SimpleGrid, Stack, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import type { Project, ProjectQuotas } from "@/lib/api-types";
import { quotaLimitSchema } from "@nimbus/core/quota-limits";
import { QUOTA_LIMIT_FIELDS, type QuotaLimitKey } from "@/lib/quota";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";

/** NumberInput gives "" while a field is empty. */
type LimitValues = Record<QuotaLimitKey, number | string>;

function valuesOf(limits: Record<QuotaLimitKey, number>): LimitValues {
  return Object.fromEntries(QUOTA_LIMIT_FIELDS.map(({ key }) => [key, limits[key]])) as LimitValues;
}

/** What the project uses of a resource, where a project has a figure (key pairs are counted per user). */
function usedOf(quotas: ProjectQuotas, key: QuotaLimitKey): number | null {
  return key in quotas.used ? quotas.used[key as keyof ProjectQuotas["used"]] : null;
}

/** What a limit below the use stops. */
const NEW_OF: Record<QuotaLimitKey, string> = {
  instances: "new launches",
  cores: "new launches",
  ram: "new launches",
  volumes: "new volumes",
  gigabytes: "new volumes",
  key_pairs: "new key pairs",
  server_groups: "new server groups",
  image_count_total: "new images",
  image_size_total: "uploads",
  image_stage_total: "uploads",
};

function checkValues(values: LimitValues): { limits: Record<QuotaLimitKey, number>; errors: Partial<Record<QuotaLimitKey, string>> } {
  const limits = {} as Record<QuotaLimitKey, number>;
  const errors: Partial<Record<QuotaLimitKey, string>> = {};
  for (const { key } of QUOTA_LIMIT_FIELDS) {
    const parsed = quotaLimitSchema.safeParse(values[key]);
    if (parsed.success) limits[key] = parsed.data;
    else errors[key] = parsed.error.issues[0]?.message;
  }
  return { limits, errors };
}

function QuotaForm({ quotas, onSaved, onCancel }: { quotas: ProjectQuotas; onSaved(): void; onCancel(): void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<LimitValues>(() => valuesOf(quotas.limits));
  const [clientErrors, setClientErrors] = useState<Partial<Record<QuotaLimitKey, string>>>({});
  const save = useMutation(
    trpc.quotas.set.mutationOptions({
      onSuccess: (saved) => {
        queryClient.setQueryData(trpc.quotas.get.queryKey({ projectId: saved.projectId }), saved);
        // The project in this session may be the one changed: its quota figures refresh.
        void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
        onSaved();
      },
    }),
  );
  const error = save.error ? toFormError(save.error) : null;

  function edit(key: QuotaLimitKey, value: number | string) {
    setValues((v) => ({ ...v, [key]: value }));
    setClientErrors((e) => ({ ...e, [key]: undefined }));
    if (save.isError) save.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const { limits, errors } = checkValues(values);
    setClientErrors(errors);
    if (Object.keys(errors).length > 0) return;
    save.mutate({ projectId: quotas.projectId, limits });
  }

  return (
    <form onSubmit={submit} noValidate aria-label={`Quotas of ${quotas.projectName}`}>
      <Stack>
        <SimpleGrid cols={{ base: 1, sm: 2 }} verticalSpacing="md">
          {QUOTA_LIMIT_FIELDS.map(({ key, label }) => {
            const used = usedOf(quotas, key);
            const value = values[key];
            const below = used !== null && typeof value === "number" && value >= 0 && value < used;
            return (
              <Stack key={key} gap={2}>
                <NumberInput
                  label={label}
                  description="-1 means unlimited"
                  min={-1}
                  clampBehavior="none"
                  allowDecimal={false}
                  value={value}
                  onChange={(next) => edit(key, next)}
                  error={clientErrors[key]}
                />
                <Text size="xs" c={below ? "orange.8" : "dimmed"} aria-label={`${label} in use`}>
                  {used === null
                    ? "In use: counted per user, not per project"
                    : `In use: ${used}${below ? ` — above the new limit: ${NEW_OF[key]} are refused until some are deleted` : ""}`}
                </Text>
              </Stack>
            );
          })}
        </SimpleGrid>
        {error && (
          <Alert color="red" title="Could not save the quotas">
            {[error.message, ...(error.fieldErrors.limits ?? [])].join(" ")}
          </Alert>
        )}
        <Group justify="space-between">
          <Button variant="subtle" color="gray" onClick={() => setValues(valuesOf(quotas.defaults))}>
            Use the defaults
          </Button>
          <Group>
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Save quotas
            </Button>
          </Group>
        </Group>
      </Stack>
    </form>
  );
}

function QuotaEditor({ project, onClose }: { project: Project; onClose(): void }) {
  const trpc = useTRPC();
  const quotas = useQuery(trpc.quotas.get.queryOptions({ projectId: project.id }));
  if (quotas.isError) {
    return (
      <Alert color="red" title="Could not load the quotas">
        {toFormError(quotas.error).message}
      </Alert>
    );
  }
  // Fresh figures every time the dialog opens: the form starts from what the server holds now.
  if (!quotas.data || !quotas.isFetchedAfterMount) return <Loader aria-label="Loading quotas" />;
  return <QuotaForm quotas={quotas.data} onSaved={onClose} onCancel={onClose} />;
}

/** Nova's os-quota-sets for one project: a limit per resource, beside what the project uses. */
export function QuotaEditorModal({ project, onClose }: { project: Project | null; onClose(): void }) {
  // Keep the title on screen while the dialog animates closed.
  const shown = useLastTarget(project);
  return (
    <Modal opened={project !== null} onClose={onClose} title={`Quotas of ${shown?.name ?? "project"}`} size="lg" centered>
      {project && <QuotaEditor project={project} onClose={onClose} />}
    </Modal>
  );
}
