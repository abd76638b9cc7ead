"use client";

import { Button, Group, Switch, Table, Text, Tooltip } from "@mantine/core";
import type { AdminUser, Project, UserRole } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import type { RoleName } from "@/lib/roles";
import { UserRoles } from "./user-roles";

interface UsersTableProps {
  users: AdminUser[];
  projects: Project[];
  /** The signed-in administrator, who cannot disable their own account. */
  currentUserId: string;
  /** The user whose change is in flight, if any. */
  pendingUserId: string | null;
  /** The refusal of the last change, for the user it concerned. */
  error: { userId: string; message: string } | null;
  onSetEnabled(user: AdminUser, enabled: boolean): void;
  onUnlock(user: AdminUser): void;
  onAssignRole(user: AdminUser, projectId: string, role: RoleName): void;
  onRemoveRole(user: AdminUser, role: UserRole): void;
}

/** Keystone's users: enabled or not, their role in each project, and the operator's controls. */
export function UsersTable({ users, projects, currentUserId, pendingUserId, error, onSetEnabled, onUnlock, onAssignRole, onRemoveRole }: UsersTableProps) {
  return (
    <Table.ScrollContainer minWidth={1000}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Users">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Email</Table.Th>
            <Table.Th>Enabled</Table.Th>
            <Table.Th>Roles</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {users.map((user) => {
            const self = user.id === currentUserId;
            const pending = pendingUserId === user.id;
            return (
              <Table.Tr key={user.id}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {user.name}
                    {self && (
                      <Text span size="xs" c="dimmed" fw={400}>
                        {" "}
                        (you)
                      </Text>
                    )}
                  </Text>
                  <Text size="xs" c="dimmed">
                    created {formatDateTime(user.createdAt)}
                  </Text>
                </Table.Td>
                <Table.Td>{user.email ?? <Text span size="sm" c="dimmed">—</Text>}</Table.Td>
                <Table.Td>
                  <Tooltip label="You cannot disable your own account." disabled={!self}>
                    <Group gap="xs" wrap="nowrap">
                      <Switch
                        aria-label={`Enabled for ${user.name}`}
                        checked={user.enabled}
                        disabled={pending || (self && user.enabled)}
                        onChange={(e) => onSetEnabled(user, e.currentTarget.checked)}
                        color="green"
                      />
                      <Text size="sm">{user.enabled ? "Yes" : "No"}</Text>
                    </Group>
                  </Tooltip>
                </Table.Td>
                <Table.Td>
                  <UserRoles
                    user={user}
                    projects={projects}
                    pending={pending}
                    error={error?.userId === user.id ? error.message : null}
                    onAssign={(projectId, role) => onAssignRole(user, projectId, role)}
                    onRemove={(role) => onRemoveRole(user, role)}
                  />
                </Table.Td>
                <Table.Td>
                  <Tooltip label="Lift a sign-in lockout after too many failed attempts." multiline w={220}>
                    <Button variant="default" size="xs" onClick={() => onUnlock(user)} disabled={pending}>
                      Unlock {user.name}
                    </Button>
                  </Tooltip>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
