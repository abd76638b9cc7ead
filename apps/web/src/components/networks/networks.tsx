"use client";

import { Button, Group, Paper, Stack, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { EmptyState } from "@/components/common/empty-state";
import { QueryStatus } from "@/components/common/query-status";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useSocketEvent } from "@/lib/socket/use-socket-event";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { AddSubnetModal } from "./add-subnet-modal";
import { CreateNetworkModal } from "./create-network-modal";
import { NetworkCard } from "./network-card";
import { PortsTable } from "./ports-table";
import { subnetLabel } from "./subnets-table";
import type { NetworkSummary, SubnetSummary } from "./types";

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/**
 * The project's networks (and the shared ones) with their subnets and address usage, and the
 * project's ports. Launches and deletions change the usage: the page follows them live.
 */
export function Networks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const member = canManageInstances(principal);
  const networks = useQuery(trpc.networks.list.queryOptions());
  const ports = useQuery(trpc.ports.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [addingTo, setAddingTo] = useState<NetworkSummary | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.networks.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.ports.list.queryKey() });
    // The launch wizard lists networks from the catalog.
    void queryClient.invalidateQueries({ queryKey: trpc.catalog.networks.queryKey() });
  };
  useSocketEvent("instance.changed", refresh);

  const deleteNetwork = useConfirmDelete(
    trpc.networks.delete.mutationOptions({ onSuccess: refresh }),
    (n: NetworkSummary) => ({ id: n.id }),
    (n) => `Network ${n.name} deleted.`,
  );
  const deleteSubnet = useConfirmDelete(
    trpc.subnets.delete.mutationOptions({ onSuccess: refresh }),
    ({ subnet }: { subnet: SubnetSummary; network: NetworkSummary }) => ({ id: subnet.id }),
    ({ subnet }) => `Subnet ${subnetLabel(subnet)} deleted.`,
  );

  return (
    <Stack gap="lg">
      {member && (
        <Group>
          <Button onClick={() => setCreating(true)}>Create network</Button>
        </Group>
      )}
      <QueryStatus query={networks} loadingLabel="Loading networks" errorTitle="Could not load the networks" />
      {networks.isSuccess &&
        (networks.data.length === 0 ? (
          <EmptyState>No networks yet.</EmptyState>
        ) : (
          networks.data.map((network) => (
            <NetworkCard
              key={network.id}
              network={network}
              canManage={network.canManage}
              onAddSubnet={setAddingTo}
              onDelete={deleteNetwork.ask}
              onDeleteSubnet={(subnet, owner) => deleteSubnet.ask({ subnet, network: owner })}
            />
          ))
        ))}

      <Stack gap="xs" component="section" aria-labelledby="ports-title">
        <Title order={2} size="h3" id="ports-title">
          Ports
        </Title>
        <QueryStatus query={ports} loadingLabel="Loading ports" errorTitle="Could not load the ports" />
        {ports.isSuccess && (
          <Paper withBorder>
            <PortsTable ports={ports.data} />
          </Paper>
        )}
      </Stack>

      <CreateNetworkModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          refresh();
          setCreating(false);
        }}
      />
      <AddSubnetModal
        network={addingTo}
        onClose={() => setAddingTo(null)}
        onAdded={() => {
          refresh();
          setAddingTo(null);
        }}
      />
      <ConfirmDeleteModal {...deleteNetwork.modal} title={(n) => `Delete network ${n.name}?`} errorTitle="Could not delete the network">
        {(n) =>
          n.portCount > 0
            ? `${count(n.instanceCount, "instance")} still ${n.instanceCount === 1 ? "uses" : "use"} it (${count(n.portCount, "port")}): delete ${n.instanceCount === 1 ? "that instance" : "those instances"} first.`
            : `Its ${count(n.subnets.length, "subnet")} ${n.subnets.length === 1 ? "goes" : "go"} with it. This cannot be undone.`
        }
      </ConfirmDeleteModal>
      <ConfirmDeleteModal
        {...deleteSubnet.modal}
        title={({ subnet }) => `Delete subnet ${subnetLabel(subnet)}?`}
        errorTitle="Could not delete the subnet"
      >
        {({ subnet, network }) =>
          subnet.usedAddresses > 0
            ? `${subnet.usedAddresses} ${subnet.usedAddresses === 1 ? "address" : "addresses"} of it ${subnet.usedAddresses === 1 ? "is" : "are"} in use: delete the instances that hold ${subnet.usedAddresses === 1 ? "it" : "them"} first.`
            : `Network ${network.name} no longer hands out addresses from ${subnet.cidr}. This cannot be undone.`
        }
      </ConfirmDeleteModal>
    </Stack>
  );
}
