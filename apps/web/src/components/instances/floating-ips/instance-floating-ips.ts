"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import type { FloatingIpSummary } from "@/components/floating-ips/types";
import type { PortSummary } from "@/components/networks/types";
import type { RouterSummary } from "@/components/routers/types";
import { useTRPC } from "@/lib/trpc";

/** Whether an action may run now, and if not why (as the lifecycle actions say it). */
export type FloatingIpCheck = { allowed: true } | { allowed: false; reason: string };

/** An instance's ports and the floating IPs associated with them, as the console shows them. */
export function useInstanceFloatingIps(instanceId: string, enabled = true) {
  const trpc = useTRPC();
  const ports = useQuery({ ...trpc.ports.list.queryOptions({ instanceId }), enabled });
  const floatingIps = useQuery({ ...trpc.floatingIps.list.queryOptions(), enabled });
  const instancePorts = (ports.data ?? []).filter((p) => p.instanceId === instanceId && p.deviceOwner === null);
  const portIds = new Set(instancePorts.map((p) => p.id));
  const associated = (floatingIps.data ?? []).filter((f) => f.portId !== null && portIds.has(f.portId));
  return { ports, floatingIps, instancePorts, associated, loaded: ports.isSuccess && floatingIps.isSuccess };
}

/** Whether `instanceName` can take a floating IP now: it needs a port (a fixed address) without one. */
export function associateCheck(instanceName: string, state: ReturnType<typeof useInstanceFloatingIps>): FloatingIpCheck {
  if (!state.loaded) return { allowed: false, reason: "Loading the instance's ports…" };
  if (state.instancePorts.length === 0)
    return { allowed: false, reason: `${instanceName} has no port, so no fixed address to map a floating IP to.` };
  if (state.instancePorts.every((p) => state.associated.some((f) => f.portId === p.id))) {
    return { allowed: false, reason: `Every port of ${instanceName} already has a floating IP: disassociate one first.` };
  }
  return { allowed: true };
}

export function disassociateCheck(instanceName: string, state: ReturnType<typeof useInstanceFloatingIps>): FloatingIpCheck {
  if (!state.loaded) return { allowed: false, reason: "Loading the instance's floating IPs…" };
  if (state.associated.length === 0) return { allowed: false, reason: `${instanceName} has no floating IP.` };
  return { allowed: true };
}

/**
 * Why a floating IP of `floatingNetworkId` would not reach `port`, or null: no router of the
 * project has both an interface on the port's subnet and its gateway on that network (what
 * core's association refuses; the server still decides).
 */
export function unreachableReason(
  port: Pick<PortSummary, "subnetId" | "subnetName" | "networkName">,
  floatingNetwork: { id: string; name: string },
  routers: readonly RouterSummary[],
): string | null {
  const reaches = routers.some((r) => r.externalGateway?.networkId === floatingNetwork.id && r.interfaces.some((i) => i.subnetId === port.subnetId));
  if (reaches) return null;
  return `Network ${port.networkName} has no router with its gateway on ${floatingNetwork.name}: on the Routers page, attach subnet ${port.subnetName} to a router and set that router's gateway to ${floatingNetwork.name} first.`;
}

/** Refreshes whatever shows an instance's floating IPs after one changed. */
export function useFloatingIpRefresh(instanceId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.floatingIps.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.ports.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.networks.topology.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.instances.get.queryKey({ id: instanceId }) });
  };
}

export type { FloatingIpSummary };
