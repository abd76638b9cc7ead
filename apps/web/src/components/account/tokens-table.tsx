"use client";

import { Badge, Table, Text } from "@mantine/core";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { ApiToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

const STATE = {
  active: { label: "Active", color: "green" },
  expired: { label: "Expired", color: "gray" },
  revoked: { label: "Revoked", color: "red" },
} as const;

/** The user's API tokens, newest first; only active ones can be revoked. */
export function TokensTable({ tokens, onRevoke }: { tokens: ApiToken[]; onRevoke(token: ApiToken): void }) {
  return (
    <Table.ScrollContainer minWidth={800}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="API tokens">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Project</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>Last used</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tokens.map((token) => {
            const state = STATE[token.state];
            return (
              <Table.Tr key={token.id}>
                <Table.Td fw={600}>{token.name}</Table.Td>
                <Table.Td>{token.projectName}</Table.Td>
                <Table.Td>{formatDateTime(token.createdAt)}</Table.Td>
                <Table.Td>{formatDateTime(token.expiresAt)}</Table.Td>
                <Table.Td>{token.lastUsedAt ? formatDateTime(token.lastUsedAt) : <Text span size="sm" c="dimmed">never</Text>}</Table.Td>
                <Table.Td>
                  <Badge variant="light" color={state.color}>
                    {state.label}
                  </Badge>
                  {token.revokedAt && (
                    <Text size="xs" c="dimmed">
                      {formatDateTime(token.revokedAt)}
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {token.state === "active" && (
                    <RowActionIcon tooltip="Revoke" aria-label={`Revoke token ${token.name}`} icon={<TrashIcon />} onClick={() => onRevoke(token)} />
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
