"use client";

import { NativeSelect } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc";

interface ExternalNetworkSelectProps {
  label: string;
  description?: string;
  /** The chosen network's id; "" for none. */
  value: string;
  onChange(networkId: string): void;
  error?: string;
  /** Offers "None" (no network) as the first choice; otherwise the user must pick one. */
  optional?: boolean;
  required?: boolean;
}

/**
 * A choice among the external networks (Neutron's router:external) every project sees: where a
 * router takes its gateway and floating IPs come from. Says so when the cloud has none.
 */
export function ExternalNetworkSelect({
  label,
  description,
  value,
  onChange,
  error,
  optional = false,
  required = false,
}: ExternalNetworkSelectProps) {
  const trpc = useTRPC();
  const networks = useQuery(trpc.networks.list.queryOptions());
  const external = (networks.data ?? []).filter((n) => n.routerExternal);
  const none = networks.isSuccess && external.length === 0;
  const first = optional ? "None" : none ? "No external network: a cloud administrator must create one" : "Choose an external network";
  return (
    <NativeSelect
      label={label}
      description={description}
      required={required}
      disabled={networks.isPending}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={error ?? (networks.isError ? "Could not load the networks." : undefined)}
      data={[{ value: "", label: networks.isPending ? "Loading networks…" : first }, ...external.map((n) => ({ value: n.id, label: n.name }))]}
    />
  );
}
