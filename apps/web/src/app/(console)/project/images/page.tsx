"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { Images } from "@/components/images/images";
import { useSession } from "@/components/session/session-context";

export default function ImagesPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Images">
        Disk images, kernels and ramdisks that instances of project {principal.projectName} boot from: its own, those shared with it, and public ones.
      </PageHeader>
      <Images />
    </Stack>
  );
}
