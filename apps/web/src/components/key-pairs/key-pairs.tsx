"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { ListFilters, NO_LIST_FILTERS } from "@/components/common/list-filters";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC, useTRPCClient } from "@/lib/trpc";
import { useKeysetPages } from "@/lib/use-keyset-pages";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { CreateKeyPairDialog } from "./create-key-pair-dialog";
import { ImportKeyPairDialog } from "./import-key-pair-dialog";
import { KeyPairsTable } from "./key-pairs-table";
import type { KeyPair } from "./types";
import { useRefreshKeyPairs } from "./use-refresh-key-pairs";

/** Horizon's page size. */
const PAGE_SIZE = 20;
/** The table's sortable columns, by the server's key for each. */
const SORTS = { name: "name", created: "created_at" } as const;

/** The signed-in user's key pairs, with create (private key shown once), import and delete. */
export function KeyPairs() {
  const trpc = useTRPC();
  const refreshKeyPairs = useRefreshKeyPairs();
  const canManage = canManageInstances(useSession());
  const client = useTRPCClient();
  const pages = useKeysetPages(NO_LIST_FILTERS);
  const sort = pages.sortInput(["name", "created"] as const);
  const input = {
    ...(sort && { sort: SORTS[sort.key], direction: sort.direction }),
    ...(pages.filters.name.trim() && { nameContains: pages.filters.name.trim() }),
    limit: PAGE_SIZE,
    ...(pages.cursor && { cursor: pages.cursor }),
  };
  // Keyed under keyPairs.list, so whatever refreshes the list refreshes the page shown.
  const keyPairs = useQuery({
    queryKey: [...trpc.keyPairs.list.pathKey(), { input, type: "query", view: "page" }],
    queryFn: () => client.keyPairs.page.query(input),
    placeholderData: keepPreviousData,
  });
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
      <ListFilters what="key pairs" onChange={pages.setFilters} />
      <QueryStatus query={keyPairs} loadingLabel="Loading key pairs" errorTitle="Could not load the key pairs" />
      {keyPairs.isSuccess && (
        <Paper withBorder>
          <KeyPairsTable
            keyPairs={keyPairs.data.items}
            paged={{
              sort: pages.sort,
              onSortChange: pages.setSort,
              pagination: pages.pagination(keyPairs.data, PAGE_SIZE, "Key pairs"),
              emptyMessage: pages.filters.name.trim()
                ? "No key pairs match this name."
                : "No key pairs yet. Create one, or import the public key you already use.",
            }}
            onDelete={canManage ? remove.ask : undefined}
          />
        </Paper>
      )}
      <CreateKeyPairDialog opened={dialog === "create"} onClose={() => setDialog(null)} />
      <ImportKeyPairDialog opened={dialog === "import"} onClose={() => setDialog(null)} />
      <ConfirmDeleteModal {...remove.modal} title={(k) => `Delete key pair ${k.name}?`} errorTitle="Could not delete the key pair">
        {() => "Instances launched with it keep its public key; new launches can no longer choose it. This cannot be undone."}
      </ConfirmDeleteModal>
    </Stack>
  );
}
