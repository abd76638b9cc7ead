"use client";

import { Alert, Group, Paper, Progress, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

const REFRESH_MS = 2_000;

/**
 * How this web server admits launch calls right now: how many run, how many wait, and how many
 * it lets run at once (the limit follows its event loop; see server/admission.ts).
 */
export function LaunchAdmission() {
  const trpc = useTRPC();
  const admission = useQuery({ ...trpc.hosts.launchAdmission.queryOptions(), refetchInterval: REFRESH_MS });
  const title = "Launch admission on this web server";
  if (admission.isPending) return null;
  if (admission.isError) {
    return (
      <Alert color="red" title={`Could not read the ${title.toLowerCase()}`}>
        {toFormError(admission.error).message}
      </Alert>
    );
  }
  const { enabled, targetDelayMs, limit, running, waiting } = admission.data;
  return (
    <Paper withBorder p="md" component="section" aria-label={title}>
      <Stack gap="xs">
        <Text fw={600}>{title}</Text>
        {enabled ? (
          <>
            <Group justify="space-between">
              <Text size="sm">
                {running} running, {waiting} waiting; up to {limit} at once
              </Text>
              <Text size="sm" c="dimmed">
                the limit rises while this server keeps up (event loop at most {targetDelayMs} ms behind) and falls when it lags; builds under way go
                first
              </Text>
            </Group>
            <Progress value={limit > 0 ? Math.min(100, (running / limit) * 100) : 0} aria-label="Launch calls running, of those allowed at once" />
          </>
        ) : (
          <Text size="sm">Off: every launch call runs at once (NIMBUS_LAUNCH_ADMISSION_DELAY_MS is 0).</Text>
        )}
      </Stack>
    </Paper>
  );
}
