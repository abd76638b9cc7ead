"use client";

import { Group, Select, TextInput } from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { useState } from "react";

/** A paged list's filters: a name that contains the text typed, and a status ("" is any). */
export interface ListFilterValues {
  name: string;
  status: string;
}
export const NO_LIST_FILTERS: ListFilterValues = { name: "", status: "" };

interface ListFiltersProps {
  /** What is listed, for the search landmark's name: "images" gives "Filter images". */
  what: string;
  /** The statuses one may pick (none: no status filter). */
  statuses?: readonly { value: string; label: string }[];
  onChange(values: ListFilterValues): void;
}

/** Name and status filters of a server-paged table, each labelled; typing waits a moment before the list is asked again. */
export function ListFilters({ what, statuses, onChange }: ListFiltersProps) {
  const [values, setValues] = useState(NO_LIST_FILTERS);
  const typed = useDebouncedCallback((next: ListFilterValues) => onChange(next), 250);
  function set(key: keyof ListFilterValues, value: string, debounce: boolean) {
    const next = { ...values, [key]: value };
    setValues(next);
    if (debounce) typed(next);
    else onChange(next);
  }
  return (
    <Group component="search" aria-label={`Filter ${what}`} align="flex-end" gap="sm">
      <TextInput label="Name" placeholder="contains" value={values.name} onChange={(e) => set("name", e.currentTarget.value, true)} w={200} />
      {statuses && (
        <Select
          label="Status"
          data={[{ value: "", label: "Any status" }, ...statuses]}
          value={values.status}
          onChange={(v) => set("status", v ?? "", false)}
          allowDeselect={false}
          w={160}
        />
      )}
    </Group>
  );
}
