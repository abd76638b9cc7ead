import type { RouterOutputs } from "@/lib/api-types";

/** What floatingIps.list returns, as the console receives it. */
export type FloatingIpSummary = RouterOutputs["floatingIps"]["list"][number];
