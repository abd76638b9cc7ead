"use client";

import { Button, Group, Paper, Stack } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmDeleteModal } from "@/components/common/confirm-delete-modal";
import { QueryStatus } from "@/components/common/query-status";
import { subnetLabel } from "@/components/networks/subnets-table";
import { canManageInstances, useSession } from "@/components/session/session-context";
import { useTRPC } from "@/lib/trpc";
import { useConfirmDelete } from "@/lib/use-confirm-delete";
import { AddInterfaceModal } from "./add-interface-modal";
import { CreateRouterModal } from "./create-router-modal";
import { RoutersTable, routerLabel } from "./routers-table";
import { SetGatewayModal } from "./set-gateway-modal";
import type { RouterInterface, RouterSummary } from "./types";

/** The project's routers: create them, give them subnets and a gateway, take those away, delete them. */
export function Routers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const principal = useSession();
  const member = canManageInstances(principal);
  const routers = useQuery(trpc.routers.list.queryOptions());
  const networks = useQuery(trpc.networks.list.queryOptions());
  const [creating, setCreating] = useState(false);
  const [settingGateway, setSettingGateway] = useState<RouterSummary | null>(null);
  const [addingTo, setAddingTo] = useState<RouterSummary | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: trpc.routers.list.queryKey() });
    // Interfaces and gateways are ports; the networks page counts them.
    void queryClient.invalidateQueries({ queryKey: trpc.networks.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.ports.list.queryKey() });
  };

  const subnets = (networks.data ?? []).flatMap((n) => n.subnets.map((s) => ({ subnet: s, network: n })));
  const subnetName = (id: string) => {
    const found = subnets.find((s) => s.subnet.id === id);
    return found ? `${found.network.name}: ${subnetLabel(found.subnet)}` : id;
  };
  const networkName = (id: string) => networks.data?.find((n) => n.id === id)?.name ?? id;

  const deleteRouter = useConfirmDelete(
    trpc.routers.delete.mutationOptions({ onSuccess: refresh }),
    (r: RouterSummary) => ({ id: r.id }),
    (r) => `Router ${routerLabel(r)} deleted.`,
  );
  const clearGateway = useConfirmDelete(
    trpc.routers.update.mutationOptions({ onSuccess: refresh }),
    (r: RouterSummary) => ({ id: r.id, externalGateway: null }),
    (r) => `Router ${routerLabel(r)} no longer has a gateway.`,
  );
  const removeInterface = useConfirmDelete(
    trpc.routers.removeInterface.mutationOptions({ onSuccess: refresh }),
    ({ router, iface }: { router: RouterSummary; iface: RouterInterface }) => ({ id: router.id, subnetId: iface.subnetId }),
    ({ router, iface }) => `Interface ${iface.ipAddress} removed from router ${routerLabel(router)}.`,
  );

  return (
    <Stack gap="lg">
      {member && (
        <Group>
          <Button onClick={() => setCreating(true)}>Create router</Button>
        </Group>
      )}
      <QueryStatus query={routers} loadingLabel="Loading routers" errorTitle="Could not load the routers" />
      {routers.isSuccess && (
        <Paper withBorder>
          <RoutersTable
            routers={routers.data}
            showHost={principal.isAdmin}
            subnetName={subnetName}
            networkName={networkName}
            actions={
              member
                ? {
                    onSetGateway: setSettingGateway,
                    onClearGateway: clearGateway.ask,
                    onAddInterface: setAddingTo,
                    onRemoveInterface: (router, iface) => removeInterface.ask({ router, iface }),
                    onDelete: deleteRouter.ask,
                  }
                : undefined
            }
          />
        </Paper>
      )}

      <CreateRouterModal
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={() => {
          refresh();
          setCreating(false);
        }}
      />
      <SetGatewayModal
        router={settingGateway}
        onClose={() => setSettingGateway(null)}
        onSet={() => {
          refresh();
          setSettingGateway(null);
        }}
      />
      <AddInterfaceModal
        router={addingTo}
        onClose={() => setAddingTo(null)}
        onAdded={() => {
          refresh();
          setAddingTo(null);
        }}
      />
      <ConfirmDeleteModal {...deleteRouter.modal} title={(r) => `Delete router ${routerLabel(r)}?`} errorTitle="Could not delete the router">
        {(r) =>
          r.interfaces.length > 0
            ? `It still has ${r.interfaces.length} ${r.interfaces.length === 1 ? "interface" : "interfaces"}: remove ${r.interfaces.length === 1 ? "it" : "them"} first.`
            : "Its gateway goes with it. This cannot be undone."
        }
      </ConfirmDeleteModal>
      <ConfirmDeleteModal
        {...clearGateway.modal}
        title={(r) => `Clear the gateway of router ${routerLabel(r)}?`}
        errorTitle="Could not clear the gateway"
        confirmLabel="Confirm clear"
      >
        {(r) =>
          `Its subnets lose their way out through ${r.externalGateway ? networkName(r.externalGateway.networkId) : "the external network"}, and floating IPs reached through it stop answering.`
        }
      </ConfirmDeleteModal>
      <ConfirmDeleteModal
        {...removeInterface.modal}
        title={({ router, iface }) => `Remove interface ${iface.ipAddress} from router ${routerLabel(router)}?`}
        errorTitle="Could not remove the interface"
        confirmLabel="Confirm remove"
      >
        {({ iface }) => `Instances on ${subnetName(iface.subnetId)} no longer reach the router's other subnets or its gateway.`}
      </ConfirmDeleteModal>
    </Stack>
  );
}
