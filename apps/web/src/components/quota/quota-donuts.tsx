"use client";

import { SimpleGrid } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { QueryStatus } from "@/components/common/query-status";
import type { QuotaResourceSpec } from "@/lib/quota";
import { useTRPC } from "@/lib/trpc";
import { QuotaDonut } from "./quota-donut";

/**
 * Some of the project's quotas as donuts, used and allowed: `what` names them in the loading
 * and error messages ("the volume quota").
 */
export function QuotaDonuts({ resources, what }: { resources: readonly QuotaResourceSpec[]; what: string }) {
  const trpc = useTRPC();
  const usage = useQuery(trpc.quota.usage.queryOptions());
  return (
    <>
      <QueryStatus query={usage} loadingLabel={`Loading ${what}`} errorTitle={`Could not load ${what}`} />
      {usage.isSuccess && (
        <SimpleGrid cols={{ base: 1, sm: resources.length }}>
          {resources.map((spec) => (
            <QuotaDonut key={spec.key} spec={spec} usage={usage.data[spec.key]} />
          ))}
        </SimpleGrid>
      )}
    </>
  );
}
