"use client";

import { Button, Code, Group, Select, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { QueryStatus } from "@/components/common/query-status";
import { CreateKeyPairDialog } from "@/components/key-pairs/create-key-pair-dialog";
import { ImportKeyPairDialog } from "@/components/key-pairs/import-key-pair-dialog";
import { algorithmLabel } from "@/components/key-pairs/key-pair-display";
import { useTRPC } from "@/lib/trpc";

/** Select has no empty-string option; this stands for "no key pair". */
const NONE = "__none__";

interface KeyPairStepProps {
  /** The chosen key pair's name (Nova's key_name), or null for none. */
  value: string | null;
  onChange(name: string | null): void;
  /** The server's message for keyName, if a launch was refused because of it. */
  error?: string;
}

/**
 * The launch wizard's Key Pair step: one of the user's key pairs (its public key goes into the
 * guest through the config drive), or none. A key pair created or imported here is chosen at once.
 */
export function KeyPairStep({ value, onChange, error }: KeyPairStepProps) {
  const trpc = useTRPC();
  const keyPairs = useQuery(trpc.keyPairs.list.queryOptions());
  const [dialog, setDialog] = useState<"create" | "import" | null>(null);
  const chosen = keyPairs.data?.find((k) => k.name === value);
  const missing = value !== null && keyPairs.isSuccess && !chosen;

  return (
    <Stack>
      <QueryStatus query={keyPairs} loadingLabel="Loading key pairs" errorTitle="Could not load your key pairs" loaderSize="sm" />
      <Select
        label="Key pair"
        description="Its public key is installed in the instance, so you can log in with the private key."
        data={[{ value: NONE, label: "None" }, ...(keyPairs.data ?? []).map((k) => ({ value: k.name, label: k.name }))]}
        value={value ?? NONE}
        onChange={(next) => onChange(next === null || next === NONE ? null : next)}
        allowDeselect={false}
        searchable
        error={error ?? (missing ? `You have no key pair named ${value} any more.` : undefined)}
      />
      {chosen && (
        <Text size="sm">
          {algorithmLabel(chosen.algorithm)} key, fingerprint <Code>{chosen.fingerprint}</Code>
        </Text>
      )}
      <Group gap="xs">
        <Button variant="light" size="xs" onClick={() => setDialog("create")}>
          Create key pair
        </Button>
        <Button variant="subtle" size="xs" onClick={() => setDialog("import")}>
          Import public key
        </Button>
      </Group>
      <CreateKeyPairDialog opened={dialog === "create"} onClose={() => setDialog(null)} onCreated={(k) => onChange(k.name)} />
      <ImportKeyPairDialog opened={dialog === "import"} onClose={() => setDialog(null)} onImported={(k) => onChange(k.name)} />
    </Stack>
  );
}
