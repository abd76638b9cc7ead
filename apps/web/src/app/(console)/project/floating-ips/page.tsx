"use client";

import { Stack } from "@mantine/core";
import { FloatingIps } from "@/components/floating-ips/floating-ips";
import { PageHeader } from "@/components/common/page-header";
import { useSession } from "@/components/session/session-context";

export default function FloatingIpsPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Floating IPs">
        Addresses of external networks held by project {principal.projectName}: each answers for the instance port it is associated with.
      </PageHeader>
      <FloatingIps />
    </Stack>
  );
}
