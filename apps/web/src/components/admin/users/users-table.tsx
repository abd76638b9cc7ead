"use client";

import { Button, Group, Switch, Text, Tooltip } from "@mantine/core";
import { DataTable, serverSorted, type DataTableColumn } from "@/components/common/data-table/data-table";
import type { ServerPaging } from "@/components/common/data-table/paged";
import type { AdminUser, Project, UserRole } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import type { RoleName } from "@/lib/roles";
import { UserRoles } from "./user-roles";

interface UsersTableProps {
  users: AdminUser[];
  /** The server's sort and pages; without them the table sorts its rows itself. */
  paged?: ServerPaging;
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
export function UsersTable(props: UsersTableProps) {
  const { users, projects, currentUserId, pendingUserId, error, onSetEnabled, onUnlock, onAssignRole, onRemoveRole } = props;
  const columns: DataTableColumn<AdminUser>[] = [
    {
      key: "name",
      header: "Name",
      sortValue: (user) => user.name,
      cell: (user) => (
        <>
          <Text size="sm" fw={600}>
            {user.name}
            {user.id === currentUserId && (
              <Text span size="xs" c="dimmed" fw={400}>
                {" "}
                (you)
              </Text>
            )}
          </Text>
          <Text size="xs" c="dimmed">
            created {formatDateTime(user.createdAt)}
          </Text>
        </>
      ),
    },
    {
      key: "email",
      header: "Email",
      cell: (user) =>
        user.email ?? (
          <Text span size="sm" c="dimmed">
            —
          </Text>
        ),
      sortValue: (user) => user.email,
    },
    {
      key: "enabled",
      header: "Enabled",
      cell: (user) => {
        const self = user.id === currentUserId;
        return (
          <Tooltip label="You cannot disable your own account." disabled={!self}>
            <Group gap="xs" wrap="nowrap">
              <Switch
                aria-label={`Enabled for ${user.name}`}
                checked={user.enabled}
                disabled={pendingUserId === user.id || (self && user.enabled)}
                onChange={(e) => onSetEnabled(user, e.currentTarget.checked)}
                color="green"
              />
              <Text size="sm">{user.enabled ? "Yes" : "No"}</Text>
            </Group>
          </Tooltip>
        );
      },
    },
    {
      key: "roles",
      header: "Roles",
      cell: (user) => (
        <UserRoles
          user={user}
          projects={projects}
          pending={pendingUserId === user.id}
          error={error?.userId === user.id ? error.message : null}
          onAssign={(projectId, role) => onAssignRole(user, projectId, role)}
          onRemove={(role) => onRemoveRole(user, role)}
        />
      ),
    },
  ];
  return (
    <DataTable
      minWidth={1000}
      aria-label="Users"
      columns={props.paged ? serverSorted(columns, ["name"]) : columns}
      rows={users}
      sort={props.paged?.sort}
      onSortChange={props.paged?.onSortChange}
      pagination={props.paged?.pagination}
      empty={{ message: props.paged?.emptyMessage ?? "No users yet." }}
      rowKey={(user) => user.id}
      rowActions={(user) => (
        <Tooltip label="Lift a sign-in lockout after too many failed attempts." multiline w={220}>
          <Button variant="default" size="xs" onClick={() => onUnlock(user)} disabled={pendingUserId === user.id}>
            Unlock {user.name}
          </Button>
        </Tooltip>
      )}
    />
  );
}
