"use client";

import { Badge, Button, Table, Text } from "@mantine/core";
import type { Project } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

/** Keystone's projects, each with the button that opens its quota editor. */
export function ProjectsTable({ projects, onEditQuotas }: { projects: Project[]; onEditQuotas(project: Project): void }) {
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Projects">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Description</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {projects.map((project) => (
            <Table.Tr key={project.id}>
              <Table.Td fw={600}>{project.name}</Table.Td>
              <Table.Td>{project.description || <Text span size="sm" c="dimmed">—</Text>}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={project.enabled ? "green" : "gray"}>
                  {project.enabled ? "Yes" : "No"}
                </Badge>
              </Table.Td>
              <Table.Td>{formatDateTime(project.createdAt)}</Table.Td>
              <Table.Td>
                <Button variant="default" size="xs" onClick={() => onEditQuotas(project)}>
                  Edit quotas of {project.name}
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
