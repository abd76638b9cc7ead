"use client";

import { Group, Select, TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc";

/** What the instance list can be narrowed to; empty strings are "any". */
export interface InstanceFilterValues {
  name: string;
  status: string;
  imageId: string;
  flavorId: string;
  ip: string;
  host: string;
}
export const NO_INSTANCE_FILTERS: InstanceFilterValues = { name: "", status: "", imageId: "", flavorId: "", ip: "", host: "" };

/** Horizon's statuses, each the vm_state Nova filters by. */
const STATUS_VM_STATES = {
  ACTIVE: "active",
  BUILD: "building",
  SHUTOFF: "stopped",
  PAUSED: "paused",
  SUSPENDED: "suspended",
  VERIFY_RESIZE: "resized",
  ERROR: "error",
} as const;
type Status = keyof typeof STATUS_VM_STATES;

/** A text typed into a "contains" filter as the regular expression core's list filters match. */
const containing = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** The filters as core's list input (the console's substring filters escaped into regular expressions). */
export function instanceListFilters(values: InstanceFilterValues) {
  const status = values.status as Status | "";
  return {
    ...(values.name.trim() && { name: containing(values.name.trim()) }),
    ...(status && { vmStates: [STATUS_VM_STATES[status]] }),
    ...(values.imageId && { imageId: values.imageId }),
    ...(values.flavorId && { flavorId: values.flavorId }),
    ...(values.ip.trim() && { ip: containing(values.ip.trim()) }),
    ...(values.host.trim() && { host: values.host.trim() }),
  };
}

interface InstanceFiltersProps {
  onChange(values: InstanceFilterValues): void;
  /** The host filter is the operator's (cloud admins). */
  withHost: boolean;
}

/** The list's filters, each labelled; typing waits a moment before the list is asked again. */
export function InstanceFilters({ onChange, withHost }: InstanceFiltersProps) {
  const trpc = useTRPC();
  const images = useQuery(trpc.catalog.images.queryOptions());
  const flavors = useQuery(trpc.catalog.flavors.queryOptions());
  const [values, setValues] = useState(NO_INSTANCE_FILTERS);
  const typed = useDebouncedCallback((next: InstanceFilterValues) => onChange(next), 250);

  function set(key: keyof InstanceFilterValues, value: string, debounce: boolean) {
    const next = { ...values, [key]: value };
    setValues(next);
    if (debounce) typed(next);
    else onChange(next);
  }
  const any = (label: string) => ({ value: "", label });
  return (
    <Group component="search" aria-label="Filter instances" align="flex-end" gap="sm">
      <TextInput label="Name" placeholder="contains" value={values.name} onChange={(e) => set("name", e.currentTarget.value, true)} w={180} />
      <Select
        label="Status"
        data={[any("Any status"), ...Object.keys(STATUS_VM_STATES).map((s) => ({ value: s, label: s }))]}
        value={values.status}
        onChange={(v) => set("status", v ?? "", false)}
        allowDeselect={false}
        w={160}
      />
      <Select
        label="Image"
        data={[any("Any image"), ...(images.data ?? []).map((i) => ({ value: i.id, label: i.name }))]}
        value={values.imageId}
        onChange={(v) => set("imageId", v ?? "", false)}
        allowDeselect={false}
        searchable
        w={200}
      />
      <Select
        label="Flavor"
        data={[any("Any flavor"), ...(flavors.data ?? []).map((f) => ({ value: f.id, label: f.name }))]}
        value={values.flavorId}
        onChange={(v) => set("flavorId", v ?? "", false)}
        allowDeselect={false}
        w={160}
      />
      <TextInput label="IP address" placeholder="contains" value={values.ip} onChange={(e) => set("ip", e.currentTarget.value, true)} w={160} />
      {withHost && (
        <TextInput label="Host" placeholder="host name" value={values.host} onChange={(e) => set("host", e.currentTarget.value, true)} w={160} />
      )}
    </Group>
  );
}
