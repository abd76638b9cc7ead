import type { RouterOutputs } from "@/lib/api-types";

/** What securityGroups.list returns, as the console receives it. */
export type SecurityGroupSummary = RouterOutputs["securityGroups"]["list"][number];
export type SecurityGroupRule = SecurityGroupSummary["rules"][number];
