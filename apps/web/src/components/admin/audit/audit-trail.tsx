"use client";

import { Button, Group, Paper, Select, Stack, Text } from "@mantine/core";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useState } from "react";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import type { AuditEvent } from "@/lib/api-types";
import { AUDIT_ACTIONS } from "@/lib/audit-actions";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { AuditTable } from "./audit-table";

const PAGE_SIZE = 50;
/** Select values cannot be null: this stands for "every action" (no action has this code). */
const ALL_ACTIONS = "__all__";
const ACTION_OPTIONS = [
  { value: ALL_ACTIONS, label: "All actions" },
  ...Object.entries(AUDIT_ACTIONS).map(([value, label]) => ({ value, label: `${label} (${value})` })),
];

/**
 * The audit trail, newest first, a page at a time: "Load older" asks for the events before the
 * oldest one shown. Pages are keyed by event id, so a refetch (new events on top) keeps them
 * contiguous.
 */
export function AuditTrail() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [action, setAction] = useState<string | null>(null);
  const events = useInfiniteQuery({
    queryKey: [...trpc.audit.list.pathKey(), { action, type: "pages" }],
    queryFn: ({ pageParam }) => client.audit.list.query({ action: action ?? undefined, before: pageParam, limit: PAGE_SIZE }),
    initialPageParam: undefined as number | undefined,
    // The API does not say whether older events exist: only an empty page ends the trail.
    getNextPageParam: (last: AuditEvent[]) => last.at(-1)?.id,
  });
  const rows = events.data?.pages.flat() ?? [];

  return (
    <Stack>
      <Group justify="space-between" align="flex-end">
        <Select
          label="Action"
          w={320}
          data={ACTION_OPTIONS}
          value={action ?? ALL_ACTIONS}
          onChange={(value) => setAction(value && value !== ALL_ACTIONS ? value : null)}
          allowDeselect={false}
          searchable
        />
        <Button variant="default" onClick={() => void events.refetch()} loading={events.isRefetching && !events.isFetchingNextPage}>
          Refresh
        </Button>
      </Group>
      <QueryStatus query={events} loadingLabel="Loading the audit trail" errorTitle="Could not load the audit trail" />
      {events.isSuccess &&
        (rows.length === 0 ? (
          <EmptyState>{action ? "No events of this action." : "No events yet."}</EmptyState>
        ) : (
          <Paper withBorder>
            <AuditTable events={rows} />
          </Paper>
        ))}
      {events.isSuccess && rows.length > 0 && (
        <Group justify="center">
          <Button variant="light" onClick={() => void events.fetchNextPage()} loading={events.isFetchingNextPage} disabled={!events.hasNextPage}>
            Load older
          </Button>
          {!events.hasNextPage && (
            <Text size="sm" c="dimmed">
              That is the oldest event{action ? " of this action" : ""}.
            </Text>
          )}
        </Group>
      )}
    </Stack>
  );
}
