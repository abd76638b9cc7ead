"use client";

import { SimpleGrid } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { QueryStatus } from "@/components/common/query-status";
import { QuotaDonut } from "@/components/quota/quota-donut";
import { IMAGE_QUOTA_RESOURCES } from "@/lib/quota";
import { useTRPC } from "@/lib/trpc";

/** The project's image quotas (Glance's): how many images, the storage they take, and uploads under way. */
export function ImageQuota() {
  const trpc = useTRPC();
  const usage = useQuery(trpc.quota.usage.queryOptions());
  return (
    <>
      <QueryStatus query={usage} loadingLabel="Loading the image quota" errorTitle="Could not load the image quota" />
      {usage.isSuccess && (
        <SimpleGrid cols={{ base: 1, sm: 3 }}>
          {IMAGE_QUOTA_RESOURCES.map((spec) => (
            <QuotaDonut key={spec.key} spec={spec} usage={usage.data[spec.key]} />
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
