import type { MantineColor } from "@mantine/core";
import type { ServerGroupPolicy } from "@nimbus/core/scheduler";

export type { ServerGroupPolicy };

/** Nova's server group policies (the scheduler's), in the order Horizon offers them. */
export const SERVER_GROUP_POLICIES = [
  "affinity",
  "anti-affinity",
  "soft-affinity",
  "soft-anti-affinity",
] as const satisfies readonly ServerGroupPolicy[];

interface PolicySpec {
  label: string;
  /** What the scheduler does with the group's members, in a sentence. */
  description: string;
  color: MantineColor;
}

const POLICY: Record<ServerGroupPolicy, PolicySpec> = {
  affinity: { label: "Affinity", description: "All members on the same host; a member that cannot join them fails.", color: "blue" },
  "anti-affinity": { label: "Anti-affinity", description: "Members on different hosts; a member with no free host fails.", color: "grape" },
  "soft-affinity": { label: "Soft affinity", description: "Prefer the host of the other members, but place anyway.", color: "cyan" },
  "soft-anti-affinity": { label: "Soft anti-affinity", description: "Prefer hosts without members, but place anyway.", color: "violet" },
};

export function isServerGroupPolicy(value: string): value is ServerGroupPolicy {
  return (SERVER_GROUP_POLICIES as readonly string[]).includes(value);
}

export function policySpec(policy: string): PolicySpec {
  return isServerGroupPolicy(policy) ? POLICY[policy] : { label: policy, description: "", color: "gray" };
}
