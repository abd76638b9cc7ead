"use client";

import { Alert, Button, Group, Modal, NativeSelect, Stack, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { notifyDone } from "@/lib/notify";
import { useTRPC } from "@/lib/trpc";
import { toFormError } from "@/lib/trpc-error";
import { useFloatingIpRefresh, useInstanceFloatingIps } from "./instance-floating-ips";

interface DisassociateInstanceFloatingIpModalProps {
  instance: { id: string; name: string };
  opened: boolean;
  onClose(): void;
}

/** Horizon's "Disassociate Floating IP": the address stops answering for the instance and stays the project's. */
export function DisassociateInstanceFloatingIpModal({ instance, opened, onClose }: DisassociateInstanceFloatingIpModalProps) {
  return (
    <Modal opened={opened} onClose={onClose} title={`Disassociate a floating IP from ${instance.name}?`} centered>
      {opened && <DisassociateForm instance={instance} onDone={onClose} />}
    </Modal>
  );
}

function DisassociateForm({ instance, onDone }: { instance: { id: string; name: string }; onDone(): void }) {
  const trpc = useTRPC();
  const state = useInstanceFloatingIps(instance.id);
  const refresh = useFloatingIpRefresh(instance.id);
  const [chosen, setChosen] = useState<string | null>(null);
  const id = chosen ?? state.associated[0]?.id ?? "";
  const floatingIp = state.associated.find((f) => f.id === id);
  const disassociate = useMutation(
    trpc.floatingIps.update.mutationOptions({
      onSuccess: (fip) => {
        refresh();
        notifyDone(`Floating IP ${fip.floatingIpAddress} disassociated from ${instance.name}.`);
        onDone();
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    if (id) disassociate.mutate({ id, portId: null });
  }

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        {state.associated.length > 1 && (
          <NativeSelect
            label="Floating IP"
            value={id}
            onChange={(e) => setChosen(e.currentTarget.value)}
            data={state.associated.map((f) => ({ value: f.id, label: `${f.floatingIpAddress} → ${f.fixedIpAddress ?? "its port"}` }))}
          />
        )}
        <Text size="sm">
          {floatingIp
            ? `${floatingIp.floatingIpAddress} stops answering for ${floatingIp.fixedIpAddress ?? "its port"}; it stays allocated to the project.`
            : state.loaded
              ? `${instance.name} has no floating IP.`
              : "Loading the instance's floating IPs…"}
        </Text>
        {disassociate.error && (
          <Alert color="red" title="Could not disassociate the floating IP">
            {toFormError(disassociate.error).message}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onDone}>
            Cancel
          </Button>
          <Button type="submit" color="orange" loading={disassociate.isPending} disabled={!floatingIp}>
            Confirm disassociate
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
