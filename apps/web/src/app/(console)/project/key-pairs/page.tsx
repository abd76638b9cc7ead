"use client";

import { Stack } from "@mantine/core";
import { PageHeader } from "@/components/common/page-header";
import { KeyPairs } from "@/components/key-pairs/key-pairs";
import { useSession } from "@/components/session/session-context";

export default function KeyPairsPage() {
  const principal = useSession();
  return (
    <Stack>
      <PageHeader title="Key pairs">
        SSH keys of {principal.userName}: the public key of the one you choose at launch is put into the instance. They are yours in every project.
      </PageHeader>
      <KeyPairs />
    </Stack>
  );
}
