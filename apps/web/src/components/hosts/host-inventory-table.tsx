import { Badge, Button, Group, Stack, Switch, Text, Tooltip } from "@mantine/core";
import { DataTable, type DataTableColumn, type DataTablePagination, type DataTableSort } from "@/components/common/data-table/data-table";
import type { Host } from "@/lib/api-types";
import { formatDateTime, formatTime } from "@/lib/format";
import { HostInstancesPopover } from "./host-instances-popover";
import { HostUsageMeter } from "./host-usage-meter";

/** A host's use of one resource against its capacity, as a meter; `sortable`: the server sorts by what is free. */
function usageColumn(
  key: string,
  header: string,
  unit: string,
  of: (host: Host) => { used: number; capacity: number },
  sortable = false,
): DataTableColumn<Host> {
  return {
    key,
    header,
    sortable,
    cell: (host) => <HostUsageMeter label={`${header} used on ${host.hostname}`} used={of(host).used} capacity={of(host).capacity} unit={unit} />,
  };
}

interface HostInventoryTableProps {
  hosts: Host[];
  /** Turning the switch on enables at once; turning it off asks for a reason first. */
  onSetEnabled(host: Host, enabled: boolean): void;
  onEdit(host: Host): void;
  /** Rebuild a down host's instances elsewhere (asks first). */
  onEvacuate(host: Host): void;
  /** The host whose enabling is in flight, if any. */
  pendingHostId: string | null;
  /** The server's sort (hostname, state, free vCPUs or free RAM; null: by hostname) and the one a header click asks for. */
  sort: DataTableSort;
  onSortChange(sort: DataTableSort): void;
  pagination: DataTablePagination;
}

/** Compute hosts with their state, zone, capacity and usage (placement's view), and the operator's controls. */
/** Why a host cannot be evacuated now, or null when it can. */
export function evacuationRefusal(host: Host): string | null {
  if (host.state === "up") return `Host ${host.hostname} is up: only a host that is down can be evacuated (migrate its instances instead).`;
  if (host.instanceCount === 0) return `Host ${host.hostname} has no instances to evacuate.`;
  return null;
}

export function HostInventoryTable({
  hosts,
  onSetEnabled,
  onEdit,
  onEvacuate,
  pendingHostId,
  sort,
  onSortChange,
  pagination,
}: HostInventoryTableProps) {
  const columns: DataTableColumn<Host>[] = [
    {
      key: "name",
      header: "Hostname",
      sortable: true,
      cell: (host) => (
        <>
          <Text size="sm" fw={600}>
            {host.hostname}
          </Text>
          <Text size="xs" c="dimmed">
            {host.hypervisorType}
            {host.agentVersion ? ` · agent ${host.agentVersion}` : ""}
          </Text>
        </>
      ),
    },
    {
      key: "zone",
      header: "Zone and aggregates",
      cell: (host) => (
        <Stack gap={4} align="flex-start">
          <Tooltip label="Availability zone">
            <Badge variant="outline" color="blue" tt="none">
              {host.availabilityZone}
            </Badge>
          </Tooltip>{" "}
          {host.aggregates.length === 0 ? (
            <Text size="xs" c="dimmed">
              no aggregate
            </Text>
          ) : (
            <Group gap={4}>
              {host.aggregates.map((aggregate) => (
                <Badge key={aggregate.id} variant="light" color="gray" tt="none" size="sm">
                  {aggregate.name}
                </Badge>
              ))}
            </Group>
          )}
        </Stack>
      ),
    },
    {
      key: "state",
      header: "State",
      sortable: true,
      cell: (host) => (
        <Stack gap={2}>
          <Badge color={host.state === "up" ? "green" : "red"} variant="light">
            {host.state === "up" ? "Up" : "Down"}
          </Badge>{" "}
          <Tooltip label={formatDateTime(host.lastHeartbeatAt)} disabled={!host.lastHeartbeatAt}>
            <Text size="xs" c="dimmed">
              {host.lastHeartbeatAt ? `heartbeat ${formatTime(host.lastHeartbeatAt)}` : "no heartbeat yet"}
            </Text>
          </Tooltip>
        </Stack>
      ),
    },
    {
      key: "enabled",
      header: "Enabled",
      cell: (host) => (
        <>
          <Group gap="xs" wrap="nowrap">
            <Switch
              aria-label={`Enabled on ${host.hostname}`}
              checked={host.enabled}
              disabled={pendingHostId === host.id}
              onChange={(e) => onSetEnabled(host, e.currentTarget.checked)}
              color="green"
            />{" "}
            <Text size="sm">{host.enabled ? "Yes" : "No"}</Text>
          </Group>
          {!host.enabled && host.disabledReason && (
            <Text size="xs" c="dimmed" maw={140}>
              {host.disabledReason}
            </Text>
          )}
        </>
      ),
    },
    usageColumn("freeVcpus", "vCPUs", "vCPUs", (host) => host.vcpus, true),
    usageColumn("freeRam", "RAM", "MB", (host) => host.memoryMb, true),
    usageColumn("disk", "Disk", "GB", (host) => host.diskGb),
    { key: "instances", header: "Instances", cell: (host) => <HostInstancesPopover host={host} /> },
    {
      key: "failedBuilds",
      header: "Failed builds",
      width: 70,
      // Nova's BuildFailureWeigher ranks hosts with recent failed builds last.
      cell: (host) => (
        <Text size="sm" c={host.failedBuilds > 0 ? "red" : undefined} fw={host.failedBuilds > 0 ? 600 : undefined}>
          {" "}
          {host.failedBuilds}
        </Text>
      ),
    },
  ];
  return (
    <DataTable
      // Fits the console's main column at 1,400 px (Actions and Edit in view); narrower screens scroll.
      minWidth={1040}
      sort={sort}
      onSortChange={onSortChange}
      pagination={pagination}
      empty={{ message: "No hosts match these filters." }}
      columns={columns}
      rows={hosts}
      rowKey={(host) => host.id}
      rowActions={(host) => {
        const refusal = evacuationRefusal(host);
        return (
          <Group gap={4} wrap="nowrap">
            <Button variant="default" size="xs" aria-label={`Edit ${host.hostname}`} onClick={() => onEdit(host)}>
              Edit
            </Button>
            <Tooltip label={refusal ?? `Rebuild ${host.hostname}'s instances on other hosts`} multiline maw={280}>
              <span>
                <Button
                  variant="light"
                  color="red"
                  size="xs"
                  aria-label={`Evacuate ${host.hostname}`}
                  aria-describedby={refusal ? `evacuate-${host.id}-reason` : undefined}
                  disabled={refusal !== null}
                  onClick={() => onEvacuate(host)}
                >
                  Evacuate
                </Button>
                {refusal && (
                  <span id={`evacuate-${host.id}-reason`} hidden>
                    {refusal}
                  </span>
                )}
              </span>
            </Tooltip>
          </Group>
        );
      }}
    />
  );
}
