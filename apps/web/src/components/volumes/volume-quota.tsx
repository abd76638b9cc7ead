"use client";

import { SimpleGrid } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { QueryStatus } from "@/components/common/query-status";
import { QuotaDonut } from "@/components/quota/quota-donut";
import { VOLUME_QUOTA_RESOURCES } from "@/lib/quota";
import { useTRPC } from "@/lib/trpc";

/** The project's volume quota: how many volumes and how many GB, used and allowed. */
export function VolumeQuota() {
  const trpc = useTRPC();
  const usage = useQuery(trpc.quota.usage.queryOptions());
  return (
    <>
      <QueryStatus query={usage} loadingLabel="Loading the volume quota" errorTitle="Could not load the volume quota" />
      {usage.isSuccess && (
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          {VOLUME_QUOTA_RESOURCES.map((spec) => (
            <QuotaDonut key={spec.key} spec={spec} usage={usage.data[spec.key]} />
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
