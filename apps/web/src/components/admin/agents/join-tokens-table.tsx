"use client";

import { Badge, Table, Text } from "@mantine/core";
import type { JoinToken } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

/** Whether a join token was spent, ran out, or can still enrol a host. */
function stateOf(token: JoinToken, now: number) {
  if (token.usedAt) return { label: "Used", color: "blue" };
  if (new Date(token.expiresAt).getTime() <= now) return { label: "Expired", color: "gray" };
  return { label: "Unused", color: "green" };
}

/** The latest join tokens (their secrets are never shown again): for which host, until when, spent by whom. */
export function JoinTokensTable({ tokens }: { tokens: JoinToken[] }) {
  const now = Date.now();
  return (
    <Table.ScrollContainer minWidth={700}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Join tokens">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Host</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th>Used by</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {tokens.map((token) => {
            const state = stateOf(token, now);
            return (
              <Table.Tr key={token.id}>
                <Table.Td>{token.hostname ?? <Text span size="sm" c="dimmed">any host</Text>}</Table.Td>
                <Table.Td>{formatDateTime(token.createdAt)}</Table.Td>
                <Table.Td>{formatDateTime(token.expiresAt)}</Table.Td>
                <Table.Td>
                  {token.usedByHostname ? (
                    <>
                      <Text size="sm" fw={600}>
                        {token.usedByHostname}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {formatDateTime(token.usedAt)}
                      </Text>
                    </>
                  ) : (
                    <Badge variant="light" color={state.color}>
                      {state.label}
                    </Badge>
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
