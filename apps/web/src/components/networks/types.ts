import type { RouterOutputs } from "@/lib/api-types";

/** What networks.list and ports.list return, as the console receives it. */
export type NetworkSummary = RouterOutputs["networks"]["list"][number];
export type SubnetSummary = NetworkSummary["subnets"][number];
export type PortSummary = RouterOutputs["ports"]["list"][number];
