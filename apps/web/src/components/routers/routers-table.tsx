"use client";

import { Badge, Button, Group, List, Stack, Text } from "@mantine/core";
import { DataTable, type DataTableColumn } from "@/components/common/data-table/data-table";
import { TrashIcon } from "@/components/common/icons";
import { RowActionIcon } from "@/components/common/row-action-icon";
import type { RouterInterface, RouterSummary } from "./types";

/** "web" or the id of an unnamed router. */
export function routerLabel(router: RouterSummary): string {
  return router.name || router.id;
}

/**
 * Where the router runs, as a cloud admin sees it: its host; or why it runs nowhere (nothing to
 * route yet, or no host that can take it: up, enabled, on the overlay, with the gateway's bridge).
 */
function placement(router: RouterSummary): { text: string; placed: boolean } {
  if (router.host) return { text: router.host, placed: true };
  if (router.interfaces.length === 0 && router.externalGateway === null) return { text: "Not placed: nothing to route yet", placed: false };
  return { text: "Not placed: no host can run it", placed: false };
}

interface RoutersTableProps {
  routers: readonly RouterSummary[];
  /** Cloud admins see the host (Neutron shows it only to them). */
  showHost: boolean;
  /** The row's actions; absent for readers. */
  actions?: {
    onSetGateway(router: RouterSummary): void;
    onClearGateway(router: RouterSummary): void;
    onAddInterface(router: RouterSummary): void;
    onRemoveInterface(router: RouterSummary, iface: RouterInterface): void;
    onDelete(router: RouterSummary): void;
  };
  subnetName(subnetId: string): string;
  networkName(networkId: string): string;
}

/** The project's routers: gateway, interfaces, host, and what can be done to each. */
export function RoutersTable({ routers, showHost, actions, subnetName, networkName }: RoutersTableProps) {
  const columns: DataTableColumn<RouterSummary>[] = [
    { key: "name", header: "Name", sortValue: (r) => r.name, cell: routerLabel, cellProps: { fw: 500 } },
    {
      key: "status",
      header: "Status",
      sortValue: (r) => r.status,
      cell: (r) => (
        <Badge variant="light" color="teal">
          {r.status}
        </Badge>
      ),
    },
    {
      key: "gateway",
      header: "External gateway",
      sortValue: (r) => (r.externalGateway ? networkName(r.externalGateway.networkId) : ""),
      cell: (r) =>
        r.externalGateway ? (
          <Stack gap={0}>
            <Text size="sm">{networkName(r.externalGateway.networkId)}</Text>
            <Text size="sm" ff="monospace">
              {r.externalGateway.fixedIps.map((ip) => ip.ipAddress).join(", ")}
            </Text>
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            None
          </Text>
        ),
    },
    {
      key: "interfaces",
      header: "Interfaces",
      cell: (r) =>
        r.interfaces.length === 0 ? (
          <Text size="sm" c="dimmed">
            None
          </Text>
        ) : (
          <List size="sm" listStyleType="none" spacing={2}>
            {r.interfaces.map((iface) => (
              <List.Item key={iface.portId}>
                <Group gap={4} wrap="nowrap">
                  <Text size="sm">
                    {subnetName(iface.subnetId)}{" "}
                    <Text span size="sm" ff="monospace">
                      {iface.ipAddress}
                    </Text>
                  </Text>
                  {actions && (
                    <RowActionIcon
                      tooltip="Remove interface"
                      aria-label={`Remove interface ${iface.ipAddress} from router ${routerLabel(r)}`}
                      icon={<TrashIcon />}
                      onClick={() => actions.onRemoveInterface(r, iface)}
                    />
                  )}
                </Group>
              </List.Item>
            ))}
          </List>
        ),
    },
    {
      key: "host",
      header: "Host",
      hidden: !showHost,
      sortValue: (r) => r.host ?? "",
      cell: (r) => {
        const { text, placed } = placement(r);
        return (
          <Text size="sm" c={placed ? undefined : "dimmed"}>
            {text}
          </Text>
        );
      },
    },
  ];

  return (
    <DataTable
      columns={columns}
      rows={routers}
      rowKey={(r) => r.id}
      minWidth={720}
      empty={{ message: "No routers yet." }}
      rowActions={
        actions &&
        ((r) => {
          const label = routerLabel(r);
          return (
            <Group gap="xs" wrap="nowrap">
              <Button size="xs" variant="light" onClick={() => actions.onAddInterface(r)} aria-label={`Add an interface to router ${label}`}>
                Add interface
              </Button>
              {r.externalGateway ? (
                <Button
                  size="xs"
                  variant="light"
                  color="orange"
                  onClick={() => actions.onClearGateway(r)}
                  aria-label={`Clear the gateway of router ${label}`}
                >
                  Clear gateway
                </Button>
              ) : (
                <Button size="xs" variant="light" onClick={() => actions.onSetGateway(r)} aria-label={`Set the gateway of router ${label}`}>
                  Set gateway
                </Button>
              )}
              <RowActionIcon tooltip="Delete" aria-label={`Delete router ${label}`} icon={<TrashIcon />} onClick={() => actions.onDelete(r)} />
            </Group>
          );
        })
      }
    />
  );
}
