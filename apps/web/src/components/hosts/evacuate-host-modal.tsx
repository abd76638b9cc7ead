"use client";

import { Alert, Button, Group, List, Modal, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import type { Host } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";

/**
 * "Evacuate host" (novaclient's host-evacuate): every instance of a down host is rebuilt on a
 * host the scheduler picks, from its image, with the same addresses. Shows which instances
 * started and which could not (with why); the host's leftover guests are destroyed when it comes back.
 */
export function EvacuateHostModal({ host, onClose, onDone }: { host: Host | null; onClose(): void; onDone(): void }) {
  const trpc = useTRPC();
  const evacuate = useMutation(trpc.hosts.evacuate.mutationOptions({ onSuccess: onDone }));
  const close = () => {
    evacuate.reset();
    onClose();
  };
  const result = evacuate.data;
  return (
    <Modal opened={host !== null} onClose={close} title={host ? `Evacuate ${host.hostname}?` : ""} centered>
      {host && !result && (
        <Text size="sm" mb="md">
          Host {host.hostname} is down. Its {host.instanceCount} instance{host.instanceCount === 1 ? "" : "s"} will be rebuilt on other hosts from
          their images, keeping their addresses; whatever was on their disks is lost. When the host comes back, its leftover virtual machines are
          destroyed.
        </Text>
      )}
      {result && (
        <>
          <Text size="sm" role="status">
            {result.started.length} instance{result.started.length === 1 ? "" : "s"} being rebuilt elsewhere
            {result.refused.length > 0 ? `; ${result.refused.length} could not be:` : "."}
          </Text>
          {result.refused.length > 0 && (
            <List size="sm" mt="xs">
              {result.refused.map((r) => (
                <List.Item key={r.id}>
                  {r.name}: {r.reason}
                </List.Item>
              ))}
            </List>
          )}
        </>
      )}
      {evacuate.isError && (
        <Alert color="red" title="Could not evacuate" mt="md" role="alert">
          {toFormError(evacuate.error).message}
        </Alert>
      )}
      <Group justify="flex-end" mt="md">
        <Button variant="default" onClick={close}>
          {result ? "Close" : "Cancel"}
        </Button>
        {!result && (
          <Button color="red" loading={evacuate.isPending} onClick={() => host && evacuate.mutate({ hostId: host.id })}>
            Evacuate host
          </Button>
        )}
      </Group>
    </Modal>
  );
}
