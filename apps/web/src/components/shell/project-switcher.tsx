"use client";

import { Select, Tooltip } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useSession } from "@/components/session/session-context";
import { useSwitchProject } from "@/components/session/use-switch-project";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/** The header's project picker: the projects the user may switch to, each with the role held there. */
export function ProjectSwitcher() {
  const trpc = useTRPC();
  const principal = useSession();
  const projects = useQuery(trpc.auth.projects.queryOptions());
  const switchProject = useSwitchProject();

  // Until the list arrives (or if it cannot), the current project is the only choice.
  const data = projects.data?.map((p) => ({ value: p.id, label: `${p.name} (${p.role})` })) ?? [
    { value: principal.projectId, label: `${principal.projectName} (${principal.role})` },
  ];
  const error = switchProject.error ? toFormError(switchProject.error).message : projects.error ? toFormError(projects.error).message : null;

  return (
    <Tooltip label={error ?? ""} disabled={!error} color="red" withArrow>
      <Select
        label="Project"
        size="xs"
        w={220}
        data={data}
        value={principal.projectId}
        onChange={(projectId) => {
          if (projectId && projectId !== principal.projectId) switchProject.mutate({ projectId });
        }}
        allowDeselect={false}
        searchable={data.length > 8}
        disabled={switchProject.isPending}
        error={Boolean(error)}
        comboboxProps={{ withinPortal: true }}
        data-testid="current-project"
        styles={{
          root: { display: "flex", alignItems: "center", gap: 8 },
          label: { marginBottom: 0, fontWeight: 400, color: "var(--mantine-color-dimmed)" },
        }}
      />
    </Tooltip>
  );
}
