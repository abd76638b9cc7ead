"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { useSession } from "@/components/session/session-context";
import { Volumes } from "@/components/volumes/volumes";

export default function VolumesPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Volumes">
        Block storage of project {principal.projectName}: attach volumes to instances at launch, or boot from one made from an image.
      </PageHeader>
      <Volumes />
    </Stack>
  );
}
