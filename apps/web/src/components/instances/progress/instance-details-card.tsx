import { Card, SimpleGrid, Stack, Text } from "@mantine/core";
import type { ReactNode } from "react";
import type { InstanceDetail } from "@/lib/api-types";
import { InstanceAddresses } from "../floating-ips/instance-addresses";
import { formatDateTime, formatMemory, formatPowerState, humanize } from "@/lib/format";

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={0}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div">
        {children}
      </Text>
    </Stack>
  );
}

/** What the instance is made of and where it runs. */
export function InstanceDetailsCard({ instance, volumes }: { instance: InstanceDetail["instance"]; volumes: InstanceDetail["volumes"] }) {
  return (
    <Card withBorder component="section" aria-label="Instance details">
      <Text fw={600} mb="sm">
        Details
      </Text>
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md" verticalSpacing="sm">
        <Field label="Flavor">
          {instance.flavorName} ({instance.vcpus} vCPU{instance.vcpus === 1 ? "" : "s"}, {formatMemory(instance.memoryMb)} RAM, {instance.rootGb} GB
          disk)
        </Field>
        <Field label="Image">{instance.imageName ?? "—"}</Field>
        <Field label="Network">{instance.networkName ?? "—"}</Field>
        <Field label="IP address">
          <InstanceAddresses instanceId={instance.id} fallback={instance.fixedIp} />
        </Field>
        <Field label="MAC address">
          <Text span ff="monospace" size="sm">
            {instance.macAddress ?? "—"}
          </Text>
        </Field>
        <Field label="Key pair">{instance.keyName ?? "—"}</Field>
        <Field label="Host">{instance.hostname ?? "—"}</Field>
        <Field label="Power state">{formatPowerState(instance.powerState)}</Field>
        <Field label="Task">{instance.taskState ? humanize(instance.taskState) : "—"}</Field>
        <Field label="Created">{formatDateTime(instance.createdAt)}</Field>
        <Field label="Launched">{formatDateTime(instance.launchedAt)}</Field>
        <Field label="Guest booted">{instance.guestBootedAt ? formatDateTime(instance.guestBootedAt) : "—"}</Field>
        <Field label="Volumes">
          {volumes.length === 0
            ? "—"
            : volumes
                .map(
                  (v) =>
                    `${v.name} (${v.sizeGb} GB on ${v.device}${v.bootIndex === 0 ? ", boot" : ""}${v.deleteOnTermination ? ", deleted with the instance" : ""})`,
                )
                .join("; ")}
        </Field>
        <Field label="ID">
          <Text span ff="monospace" size="xs">
            {instance.id}
          </Text>
        </Field>
      </SimpleGrid>
    </Card>
  );
}
