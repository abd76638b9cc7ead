"use client";

import { Alert, Anchor, Loader, Stack, Text, Title } from "@mantine/core";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { LaunchWizard } from "@/components/instances/launch/launch-wizard";
import { canManageInstances, useSession } from "@/components/session/session-context";

function LaunchWizardWithRetry() {
  const retryOf = useSearchParams().get("retry");
  return <LaunchWizard retryOf={retryOf} />;
}

export default function LaunchInstancePage() {
  const principal = useSession();
  return (
    <Stack>
      <div>
        <Anchor component={Link} href="/project/instances" size="sm">
          ← Instances
        </Anchor>
        <Title order={1}>Launch instance</Title>
        <Text c="dimmed">Launch one or more instances in project {principal.projectName}.</Text>
      </div>
      {canManageInstances(principal) ? (
        <Suspense fallback={<Loader aria-label="Loading" />}>
          <LaunchWizardWithRetry />
        </Suspense>
      ) : (
        <Alert color="yellow" title="Read-only role">
          Your role in project {principal.projectName} ({principal.role}) does not allow launching instances.
        </Alert>
      )}
    </Stack>
  );
}
