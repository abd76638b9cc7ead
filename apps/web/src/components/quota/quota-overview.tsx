"use client";

import { Alert, Loader, SimpleGrid } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { QUOTA_RESOURCES } from "@/lib/quota";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { QuotaDonut } from "./quota-donut";

/** The project's compute quota (instances, vCPUs, RAM); refreshed when an instance changes. */
export function QuotaOverview() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const usage = useQuery(trpc.quota.usage.queryOptions());
  useSocketEvent("instance.changed", () => {
    void queryClient.invalidateQueries({ queryKey: trpc.quota.usage.queryKey() });
  });

  if (usage.isPending) return <Loader aria-label="Loading quota" />;
  if (usage.isError) {
    return (
      <Alert color="red" title="Could not load the quota">
        {toFormError(usage.error).message}
      </Alert>
    );
  }
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
      {QUOTA_RESOURCES.map((spec) => (
        <QuotaDonut key={spec.key} spec={spec} usage={usage.data[spec.key]} />
      ))}
    </SimpleGrid>
  );
}
