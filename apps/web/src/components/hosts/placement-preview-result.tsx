import { Alert, Badge, Table, Text } from "@mantine/core";
import type { PlacementPreview } from "@/lib/api-types";

/**
 * What the scheduler would do: the explanation, the chosen host, and every host with the first
 * filter that refused it (or "Accepted" with its rank among the weighed hosts).
 */
export function PlacementPreviewResult({ preview }: { preview: PlacementPreview }) {
  const rankOf = (hostname: string) => preview.ranking.indexOf(hostname);
  return (
    <>
      <Alert color={preview.chosen ? "green" : "red"} title={preview.chosen ? `${preview.flavor} would go to ${preview.chosen}` : `No host can take ${preview.flavor}`} role="status">
        {preview.explanation}
      </Alert>
      <Table.ScrollContainer minWidth={600}>
        <Table verticalSpacing="xs" aria-label="Hosts considered">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Host</Table.Th>
              <Table.Th>Rank</Table.Th>
              <Table.Th>Verdict</Table.Th>
              <Table.Th>Reason</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {preview.hosts.map((verdict) => {
              const chosen = verdict.hostname === preview.chosen;
              const rank = rankOf(verdict.hostname);
              return (
                <Table.Tr key={verdict.hostname} bg={chosen ? "var(--mantine-color-green-light)" : undefined} aria-current={chosen ? "true" : undefined}>
                  <Table.Td fw={chosen ? 700 : 500}>
                    {verdict.hostname}
                    {chosen && (
                      <>
                        {" "}
                        <Badge color="green" size="sm" ml={6}>
                          Chosen
                        </Badge>
                      </>
                    )}
                  </Table.Td>
                  <Table.Td>{rank >= 0 ? rank + 1 : "—"}</Table.Td>
                  <Table.Td>
                    {verdict.rejectedBy === null ? (
                      <Badge color="green" variant="light" tt="none">
                        Accepted
                      </Badge>
                    ) : (
                      <Badge color="red" variant="light" tt="none">
                        {verdict.rejectedBy}
                      </Badge>
                    )}
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" c={verdict.reason ? undefined : "dimmed"}>
                      {verdict.reason ?? "—"}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </>
  );
}
