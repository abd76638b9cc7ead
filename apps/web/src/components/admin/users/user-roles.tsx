"use client";

import { ActionIcon, Badge, Button, Group, Select, Stack, Text } from "@mantine/core";
import { useState } from "react";
import { CrossIcon } from "@/components/common/icons";
import type { AdminUser, Project, UserRole } from "@/lib/api-types";
import { isRoleName, ROLE_OPTIONS, roleSpec, type RoleName } from "@/lib/roles";

interface UserRolesProps {
  user: AdminUser;
  projects: Project[];
  /** Whether a role change of this user is in flight. */
  pending: boolean;
  /** The refusal of this user's last role change, if any. */
  error: string | null;
  onAssign(projectId: string, role: RoleName): void;
  onRemove(role: UserRole): void;
}

/**
 * A user's role assignments as "project: role" badges, each removable, and a small form that
 * assigns a role in a project (or changes the role held there: a user has one role per project).
 */
export function UserRoles({ user, projects, pending, error, onAssign, onRemove }: UserRolesProps) {
  const [projectId, setProjectId] = useState<string | null>(null);
  const [role, setRole] = useState<RoleName>("member");
  const [missingProject, setMissingProject] = useState(false);
  const held = new Map(user.roles.map((r) => [r.projectId, r.role]));

  function assign() {
    if (!projectId) {
      setMissingProject(true);
      return;
    }
    onAssign(projectId, role);
    setProjectId(null);
  }

  return (
    <Stack gap={6} miw={420}>
      {user.roles.length === 0 ? (
        <Text size="sm" c="dimmed">
          No roles: cannot sign in.
        </Text>
      ) : (
        <Group gap={6}>
          {user.roles.map((r) => (
            <Badge
              key={r.projectId}
              variant="light"
              color={roleSpec(r.role).color}
              tt="none"
              pr={3}
              rightSection={
                <ActionIcon
                  size="xs"
                  variant="transparent"
                  color="gray"
                  aria-label={`Remove ${r.role} of ${user.name} in ${r.projectName}`}
                  onClick={() => onRemove(r)}
                  disabled={pending}
                >
                  <CrossIcon />
                </ActionIcon>
              }
            >
              {r.projectName}: {r.role}
            </Badge>
          ))}
        </Group>
      )}
      <Group gap={6} wrap="nowrap" align="flex-start" role="group" aria-label={`Assign a role to ${user.name}`}>
        <Select
          aria-label={`Add role for ${user.name} in project`}
          placeholder="Project"
          size="xs"
          w={170}
          data={projects.map((p) => ({ value: p.id, label: held.has(p.id) ? `${p.name} (now ${held.get(p.id)})` : p.name }))}
          value={projectId}
          onChange={(value) => {
            setProjectId(value);
            setMissingProject(false);
          }}
          searchable
          error={missingProject ? "Choose a project." : undefined}
        />
        <Select
          aria-label="Role"
          size="xs"
          w={110}
          data={ROLE_OPTIONS}
          value={role}
          onChange={(value) => value && isRoleName(value) && setRole(value)}
          allowDeselect={false}
        />
        <Button size="xs" variant="light" onClick={assign} loading={pending}>
          Assign role
        </Button>
      </Group>
      {error && (
        <Text size="xs" c="red" role="alert">
          {error}
        </Text>
      )}
    </Stack>
  );
}
