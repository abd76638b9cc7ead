"use client";

import { Alert, Button, Text } from "@mantine/core";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import type { InstanceDetail } from "@/lib/api-types";
import { formatDateTime } from "@/lib/format";
import { loadLaunchDraft } from "../launch/launch-draft";

/** Why the instance is in ERROR, in plain words, with a way back into the wizard when this tab launched it. */
export function FaultAlert({ instance, canRelaunch }: { instance: InstanceDetail["instance"]; canRelaunch: boolean }) {
  const router = useRouter();
  const [hasDraft, setHasDraft] = useState(false);
  useEffect(() => setHasDraft(loadLaunchDraft(instance.id) !== null), [instance.id]);
  const fault = instance.fault;
  return (
    <Alert color="red" title="Fault">
      <Text size="sm">{fault?.message ?? "The build failed."}</Text>
      {fault && (
        <Text size="xs" c="dimmed" mt={4}>
          {fault.code} · {formatDateTime(fault.createdAt)}
        </Text>
      )}
      {canRelaunch && hasDraft && (
        <Button size="xs" variant="default" mt="sm" onClick={() => router.push(`/project/instances/launch?retry=${instance.id}`)}>
          Launch again with the same values
        </Button>
      )}
    </Alert>
  );
}
