"use client";

import { Badge, Button, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { Project } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

const COLUMNS: DataTableColumn<Project>[] = [
  { key: "name", header: "Name", cell: (p) => p.name, sortValue: (p) => p.name, cellProps: { fw: 600 } },
  {
    key: "description",
    header: "Description",
    cell: (p) =>
      p.description || (
        <Text span size="sm" c="dimmed">
          —
        </Text>
      ),
  },
  {
    key: "enabled",
    header: "Enabled",
    cell: (p) => (
      <Badge variant="light" color={p.enabled ? "green" : "gray"}>
        {p.enabled ? "Yes" : "No"}
      </Badge>
    ),
  },
  { key: "created", header: "Created", cell: (p) => formatDateTime(p.createdAt), sortValue: (p) => p.createdAt },
];

/** Keystone's projects, each with the button that opens its quota editor. */
export function ProjectsTable({ projects, onEditQuotas }: { projects: Project[]; onEditQuotas(project: Project): void }) {
  return (
    <DataTable
      minWidth={700}
      aria-label="Projects"
      columns={COLUMNS}
      rows={projects}
      rowKey={(p) => p.id}
      rowActions={(project) => (
        <Button variant="default" size="xs" onClick={() => onEditQuotas(project)}>
          Edit quotas of {project.name}
        </Button>
      )}
    />
  );
}
