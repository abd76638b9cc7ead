"use client";

import { Alert, Loader, Paper, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import type { Project } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { CreateProjectForm } from "./create-project-form";
import { ProjectsTable } from "./projects-table";
import { QuotaEditorModal } from "./quota-editor-modal";

/** The cloud's projects, their quotas, and a form to create one. */
export function Projects() {
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const [editing, setEditing] = useState<Project | null>(null);

  return (
    <Stack>
      {projects.isPending && <Loader aria-label="Loading projects" />}
      {projects.isError && (
        <Alert color="red" title="Could not load the projects">
          {toFormError(projects.error).message}
        </Alert>
      )}
      {projects.isSuccess && (
        <Paper withBorder>
          <ProjectsTable projects={projects.data} onEditQuotas={setEditing} />
        </Paper>
      )}
      <CreateProjectForm />
      <QuotaEditorModal project={editing} onClose={() => setEditing(null)} />
    </Stack>
  );
}
