"use client";

import { Paper, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { QueryStatus } from "@/components/common/query-status";
import type { Project } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
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
      <QueryStatus query={projects} loadingLabel="Loading projects" errorTitle="Could not load the projects" />
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
