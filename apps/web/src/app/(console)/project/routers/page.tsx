"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { Routers } from "@/components/routers/routers";
import { useSession } from "@/components/session/session-context";

export default function RoutersPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Routers">
        Routers of project {principal.projectName}: they route between the subnets you attach and out through a gateway on an external network.
      </PageHeader>
      <Routers />
    </Stack>
  );
}
