"use client";

import { Anchor, Badge, Button, Group, Paper, Stack, Text } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { QueryStatus } from "@/components/common/query-status";
import { RowActionIcon } from "@/components/common/row-action-icon";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { AllocateFloatingIpModal } from "./allocate-floating-ip-modal";
import { AssociateFloatingIpModal } from "./associate-floating-ip-modal";
import type { FloatingIpSummary } from "./types";

/** The project's floating IPs: allocate, associate with an instance's port, disassociate, release. */
export function FloatingIps() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const member = canManageInstances(principal);
  const floatingIps = useQuery(trpc.floatingIps.list.queryOptions());
  const networks = useQuery(trpc.networks.list.queryOptions());
  const ports = useQuery(trpc.ports.list.queryOptions());
  const [allocating, setAllocating] = useState(false);
  const [associating, setAssociating] = useState<FloatingIpSummary | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.floatingIps.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.ports.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.networks.list.queryKey() });
  };
  const networkName = (id: string) => networks.data?.find((n) => n.id === id)?.name ?? id;
  const portOf = (id: string) => ports.data?.find((p) => p.id === id);

  const release = useConfirmDelete(
    trpc.floatingIps.delete.mutationOptions({ onSuccess: refresh }),
    (f: FloatingIpSummary) => ({ id: f.id }),
    (f) => `Floating IP ${f.floatingIpAddress} released.`,
  );
  const disassociate = useConfirmDelete(
    trpc.floatingIps.update.mutationOptions({ onSuccess: refresh }),
    (f: FloatingIpSummary) => ({ id: f.id, portId: null }),
    (f) => `Floating IP ${f.floatingIpAddress} disassociated.`,
  );

  const columns: DataTableColumn<FloatingIpSummary>[] = [
    { key: "address", header: "Address", sortValue: (f) => f.floatingIpAddress, cell: (f) => f.floatingIpAddress, cellProps: { ff: "monospace" } },
    { key: "network", header: "External network", sortValue: (f) => networkName(f.floatingNetworkId), cell: (f) => networkName(f.floatingNetworkId) },
    {
      key: "associated",
      header: "Associated with",
      cell: (f) => {
        if (!f.portId) {
          return (
            <Text size="sm" c="dimmed">
              Not associated
            </Text>
          );
        }
        const port = portOf(f.portId);
        return (
          <Text size="sm">
            {port?.instanceId ? (
              <Anchor component={Link} href={`/project/instances/${port.instanceId}`} size="sm">
                {port.instanceName ?? port.instanceId}
              </Anchor>
            ) : (
              `Port ${f.portId}`
            )}{" "}
            <Text span size="sm" ff="monospace">
              {f.fixedIpAddress}
            </Text>
          </Text>
        );
      },
    },
    {
      key: "status",
      header: "Status",
      sortValue: (f) => f.status,
      cell: (f) => (
        <Badge variant="light" color={f.status === "ACTIVE" ? "teal" : "gray"}>
          {f.status}
        </Badge>
      ),
    },
  ];

  return (
    <Stack gap="lg">
      {member && (
        <Group>
          <Button onClick={() => setAllocating(true)}>Allocate IP</Button>
        </Group>
      )}
      <QueryStatus query={floatingIps} loadingLabel="Loading floating IPs" errorTitle="Could not load the floating IPs" />
      {floatingIps.isSuccess && (
        <Paper withBorder>
          <DataTable
            columns={columns}
            rows={floatingIps.data}
            rowKey={(f) => f.id}
            minWidth={640}
            empty={{ message: "No floating IPs yet." }}
            rowActions={
              member
                ? (f) => (
                    <Group gap="xs" wrap="nowrap">
                      {f.portId ? (
                        <Button
                          size="xs"
                          variant="light"
                          color="orange"
                          onClick={() => disassociate.ask(f)}
                          aria-label={`Disassociate floating IP ${f.floatingIpAddress}`}
                        >
                          Disassociate
                        </Button>
                      ) : (
                        <Button
                          size="xs"
                          variant="light"
                          onClick={() => setAssociating(f)}
                          aria-label={`Associate floating IP ${f.floatingIpAddress}`}
                        >
                          Associate
                        </Button>
                      )}
                      <RowActionIcon
                        tooltip="Release"
                        aria-label={`Release floating IP ${f.floatingIpAddress}`}
                        icon={<TrashIcon />}
                        onClick={() => release.ask(f)}
                      />
                    </Group>
                  )
                : undefined
            }
          />
        </Paper>
      )}

      <AllocateFloatingIpModal
        opened={allocating}
        onClose={() => setAllocating(false)}
        onAllocated={() => {
          refresh();
          setAllocating(false);
        }}
      />
      <AssociateFloatingIpModal
        floatingIp={associating}
        onClose={() => setAssociating(null)}
        onAssociated={() => {
          refresh();
          setAssociating(null);
        }}
      />
      <ConfirmDeleteModal
        {...release.modal}
        title={(f) => `Release floating IP ${f.floatingIpAddress}?`}
        errorTitle="Could not release the floating IP"
        confirmLabel="Confirm release"
      >
        {(f) =>
          f.portId
            ? `It stops answering for ${f.fixedIpAddress ?? "its port"} and goes back to ${networkName(f.floatingNetworkId)}; you may not get the same address again.`
            : `It goes back to ${networkName(f.floatingNetworkId)}; you may not get the same address again.`
        }
      </ConfirmDeleteModal>
      <ConfirmDeleteModal
        {...disassociate.modal}
        title={(f) => `Disassociate floating IP ${f.floatingIpAddress}?`}
        errorTitle="Could not disassociate the floating IP"
        confirmLabel="Confirm disassociate"
      >
        {(f) => `It stops answering for ${f.fixedIpAddress ?? "its port"}; it stays allocated to the project.`}
      </ConfirmDeleteModal>
    </Stack>
  );
}
