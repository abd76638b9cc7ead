"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { useSession } from "@/components/session/session-context";
import { QuotaOverview } from "@/components/quota/quota-overview";

export default function OverviewPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Overview">Compute quota of project {principal.projectName}: what is in use and what is left.</PageHeader>
      <QuotaOverview />
    </Stack>
  );
}
