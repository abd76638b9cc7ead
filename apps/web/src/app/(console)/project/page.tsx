"use client";

import { Stack, Text, Title } from "@mantine/core";
import { useSession } from "@/components/session/session-context";
import { QuotaOverview } from "@/components/quota/quota-overview";

export default function OverviewPage() {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Title order={1}>Overview</Title>
        <Text c="dimmed">Compute quota of project {principal.projectName}: what is in use and what is left.</Text>
      </div>
      <QuotaOverview />
    </Stack>
  );
}
