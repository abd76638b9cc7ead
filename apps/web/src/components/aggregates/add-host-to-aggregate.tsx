"use client";

import { Button, Group, Select } from "@mantine/core";
import { useState } from "react";
import type { Aggregate, Host } from "@/lib/api-types";

interface AddHostToAggregateProps {
  aggregate: Aggregate;
  /** Every host; those already in the aggregate are left out. */
  hosts: Host[];
  pending: boolean;
  onAdd(hostId: string): void;
}

/** A host picker and its button, per aggregate row. */
export function AddHostToAggregate({ aggregate, hosts, pending, onAdd }: AddHostToAggregateProps) {
  const [hostId, setHostId] = useState<string | null>(null);
  const members = new Set(aggregate.hosts.map((h) => h.id));
  const candidates = hosts.filter((h) => !members.has(h.id));
  // A host that joined meanwhile (here or in another browser) is no longer a choice.
  const chosen = hostId && candidates.some((h) => h.id === hostId) ? hostId : null;
  return (
    <Group gap="xs" wrap="nowrap">
      <Select
        aria-label={`Add host to ${aggregate.name}`}
        placeholder={candidates.length === 0 ? "Every host is in" : "Choose a host"}
        data={candidates.map((h) => ({ value: h.id, label: h.hostname }))}
        value={chosen}
        onChange={setHostId}
        disabled={candidates.length === 0}
        size="xs"
        w={170}
      />
      <Button
        size="xs"
        variant="light"
        disabled={!chosen}
        loading={pending}
        onClick={() => {
          if (!chosen) return;
          onAdd(chosen);
          setHostId(null);
        }}
      >
        Add host
      </Button>
    </Group>
  );
}
