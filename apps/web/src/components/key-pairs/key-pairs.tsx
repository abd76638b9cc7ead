"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateKeyPairDialog } from "./create-key-pair-dialog";
import { ImportKeyPairDialog } from "./import-key-pair-dialog";
import { KeyPairsTable } from "./key-pairs-table";
import type { KeyPair } from "./types";
import { useRefreshKeyPairs } from "./use-refresh-key-pairs";

/** The signed-in user's key pairs, with create (private key shown once), import and delete. */
export function KeyPairs() {
  const trpc = useTRPC();
  const refreshKeyPairs = useRefreshKeyPairs();
  const canManage = canManageInstances(useSession());
  const keyPairs = useQuery(trpc.keyPairs.list.queryOptions());
  const [dialog, setDialog] = useState<"create" | "import" | null>(null);
  const remove = useConfirmDelete(
    trpc.keyPairs.delete.mutationOptions({ onSuccess: refreshKeyPairs }),
    (k: KeyPair) => ({ name: k.name }),
    (k) => `Key pair ${k.name} deleted.`,
  );

  return (
    <Stack>
      {canManage && (
        <Group>
          <Button onClick={() => setDialog("create")}>Create key pair</Button>
          <Button variant="light" onClick={() => setDialog("import")}>
            Import public key
          </Button>
        </Group>
      )}
      <QueryStatus query={keyPairs} loadingLabel="Loading key pairs" errorTitle="Could not load the key pairs" />
      {keyPairs.isSuccess &&
        (keyPairs.data.length === 0 ? (
          <EmptyState>No key pairs yet. Create one, or import the public key you already use.</EmptyState>
        ) : (
          <Paper withBorder>
            <KeyPairsTable keyPairs={keyPairs.data} onDelete={canManage ? remove.ask : undefined} />
          </Paper>
        ))}
      <CreateKeyPairDialog opened={dialog === "create"} onClose={() => setDialog(null)} />
      <ImportKeyPairDialog opened={dialog === "import"} onClose={() => setDialog(null)} />
      <ConfirmDeleteModal {...remove.modal} title={(k) => `Delete key pair ${k.name}?`} errorTitle="Could not delete the key pair">
        {() => "Instances launched with it keep its public key; new launches can no longer choose it. This cannot be undone."}
      </ConfirmDeleteModal>
    </Stack>
  );
}
