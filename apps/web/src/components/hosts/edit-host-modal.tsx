"use client";

import { Modal, NumberInput, SimpleGrid, Stack, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { FormFooter } from "@/components/common/form-footer";
import type { Host } from "@/lib/api-types";
import { useTRPC } from "@/lib/trpc";
import { isPlacedIn, toFormError } from "@/lib/trpc-error";
import { useLastTarget } from "@/lib/use-last-target";

/** The placement inventory overrides of a host, as hosts.update names them. */
interface HostInventoryValues {
  cpuAllocationRatio: number | string;
  ramAllocationRatio: number | string;
  diskAllocationRatio: number | string;
  vcpusReserved: number | string;
  memoryMbReserved: number | string;
  diskGbReserved: number | string;
}
type InventoryField = keyof HostInventoryValues;

const FIELDS: readonly { field: InventoryField; label: string; ratio: boolean }[] = [
  { field: "cpuAllocationRatio", label: "CPU allocation ratio", ratio: true },
  { field: "ramAllocationRatio", label: "RAM allocation ratio", ratio: true },
  { field: "diskAllocationRatio", label: "Disk allocation ratio", ratio: true },
  { field: "vcpusReserved", label: "Reserved vCPUs", ratio: false },
  { field: "memoryMbReserved", label: "Reserved RAM (MB)", ratio: false },
  { field: "diskGbReserved", label: "Reserved disk (GB)", ratio: false },
];

function valuesOf(host: Host): HostInventoryValues {
  return {
    cpuAllocationRatio: host.vcpus.allocationRatio,
    ramAllocationRatio: host.memoryMb.allocationRatio,
    diskAllocationRatio: host.diskGb.allocationRatio,
    vcpusReserved: host.vcpus.reserved,
    memoryMbReserved: host.memoryMb.reserved,
    diskGbReserved: host.diskGb.reserved,
  };
}

/** Capacity as placement computes it: (total − reserved) × ratio. */
function capacityOf(total: number, reserved: number | string, ratio: number | string): string {
  if (typeof reserved !== "number" || typeof ratio !== "number") return "—";
  const value = Math.max(0, (total - reserved) * ratio);
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

interface EditHostModalProps {
  /** The host to edit; null keeps the modal closed. */
  host: Host | null;
  onClose(): void;
  onSaved(): void;
}

/** Allocation ratios and reserved amounts of a host (Nova's *_allocation_ratio and reserved_host_*). */
export function EditHostModal({ host, onClose, onSaved }: EditHostModalProps) {
  // Keep the form on screen while the dialog animates closed. The modal unmounts its content
  // once closed, so each opening starts again from the host's current figures.
  const current = useLastTarget(host);
  return (
    <Modal opened={host !== null} onClose={onClose} title={`Edit ${current?.hostname ?? "host"}`} centered size="lg">
      {current && <EditHostForm host={current} onCancel={onClose} onSaved={onSaved} />}
    </Modal>
  );
}

function EditHostForm({ host, onCancel, onSaved }: { host: Host; onCancel(): void; onSaved(): void }) {
  const trpc = useTRPC();
  const [values, setValues] = useState<HostInventoryValues>(() => valuesOf(host));
  const [missing, setMissing] = useState<Partial<Record<InventoryField, string>>>({});
  const save = useMutation(trpc.hosts.update.mutationOptions({ onSuccess: onSaved }));
  const error = save.error ? toFormError(save.error) : null;

  function change(field: InventoryField, value: number | string) {
    setValues((v) => ({ ...v, [field]: value }));
    setMissing((m) => ({ ...m, [field]: undefined }));
    if (save.isError) save.reset();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const blank = FIELDS.filter(({ field }) => typeof values[field] !== "number");
    if (blank.length > 0) {
      setMissing(Object.fromEntries(blank.map(({ field }) => [field, "Enter a number."])));
      return;
    }
    const number = (field: InventoryField) => values[field] as number;
    save.mutate({
      id: host.id,
      cpuAllocationRatio: number("cpuAllocationRatio"),
      ramAllocationRatio: number("ramAllocationRatio"),
      diskAllocationRatio: number("diskAllocationRatio"),
      vcpusReserved: number("vcpusReserved"),
      memoryMbReserved: number("memoryMbReserved"),
      diskGbReserved: number("diskGbReserved"),
    });
  }

  const fieldError = (field: InventoryField) => missing[field] ?? error?.fieldErrors[field]?.[0];
  // Errors on the form's own fields show next to them; anything else in the alert.
  const placed = isPlacedIn(
    error,
    FIELDS.map((x) => x.field),
  );

  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <Text size="sm" c="dimmed">
          Capacity = (total − reserved) × allocation ratio. Changes apply to the next scheduling decision.
        </Text>
        <SimpleGrid cols={{ base: 1, xs: 2 }}>
          {FIELDS.map(({ field, label, ratio }) => (
            <NumberInput
              key={field}
              label={label}
              value={values[field]}
              onChange={(value) => change(field, value)}
              error={fieldError(field)}
              min={ratio ? 0.1 : 0}
              max={ratio ? 64 : undefined}
              step={ratio ? 0.1 : 1}
              decimalScale={ratio ? 2 : 0}
              allowDecimal={ratio}
              allowNegative={false}
              clampBehavior="none"
            />
          ))}
        </SimpleGrid>
        <Text size="sm">
          Capacity after saving: {capacityOf(host.vcpus.total, values.vcpusReserved, values.cpuAllocationRatio)} vCPUs ·{" "}
          {capacityOf(host.memoryMb.total, values.memoryMbReserved, values.ramAllocationRatio)} MB RAM ·{" "}
          {capacityOf(host.diskGb.total, values.diskGbReserved, values.diskAllocationRatio)} GB disk
        </Text>
        <FormFooter
          error={placed ? null : error}
          errorTitle="Could not save the host"
          submitLabel="Save"
          pending={save.isPending}
          onCancel={onCancel}
        />
      </Stack>
    </form>
  );
}
