"use client";

import { Badge, Button, Table, Text } from "@mantine/core";
import type { HostCredential } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";

/** The hosts that enrolled with a join token, and whether their credential still works. */
export function HostCredentialsTable({ credentials, onRevoke }: { credentials: HostCredential[]; onRevoke(credential: HostCredential): void }) {
  return (
    <Table.ScrollContainer minWidth={600}>
      <Table verticalSpacing="sm" highlightOnHover aria-label="Host credentials">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Host</Table.Th>
            <Table.Th>Enrolled</Table.Th>
            <Table.Th>State</Table.Th>
            <Table.Th>Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {credentials.map((credential) => (
            <Table.Tr key={credential.hostname}>
              <Table.Td fw={600}>{credential.hostname}</Table.Td>
              <Table.Td>{formatDateTime(credential.createdAt)}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={credential.revokedAt ? "red" : "green"}>
                  {credential.revokedAt ? "Revoked" : "Active"}
                </Badge>
                {credential.revokedAt && (
                  <Text size="xs" c="dimmed">
                    {formatDateTime(credential.revokedAt)}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {!credential.revokedAt && (
                  <Button variant="light" color="red" size="xs" onClick={() => onRevoke(credential)}>
                    Revoke {credential.hostname}
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
