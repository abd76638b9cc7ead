import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/trpc/router";

/** What each procedure returns, as the browser receives it (after superjson). */
export type RouterOutputs = inferRouterOutputs<AppRouter>;

export type Principal = NonNullable<RouterOutputs["auth"]["whoami"]>;
export type InstanceSummary = RouterOutputs["instances"]["list"][number];
export type InstanceDetail = RouterOutputs["instances"]["get"];
export type InstanceAction = InstanceDetail["actions"][number];
export type InstanceActionEvent = InstanceAction["events"][number];
export type Flavor = RouterOutputs["catalog"]["flavors"][number];
export type Image = RouterOutputs["catalog"]["images"][number];
export type Network = RouterOutputs["catalog"]["networks"][number];
export type QuotaUsage = RouterOutputs["quota"]["usage"];
export type Host = RouterOutputs["hosts"]["list"][number];
export type ServerGroup = RouterOutputs["serverGroups"]["list"][number];
export type Aggregate = RouterOutputs["aggregates"]["list"][number];
export type PlacementPreview = RouterOutputs["hosts"]["previewPlacement"];
export type Project = RouterOutputs["projects"]["list"][number];
export type ApiToken = RouterOutputs["tokens"]["list"][number];
export type CreatedApiToken = RouterOutputs["tokens"]["create"];
export type AdminUser = RouterOutputs["users"]["list"][number];
export type UserRole = AdminUser["roles"][number];
export type ProjectQuotas = RouterOutputs["quotas"]["get"];
export type AuditEvent = RouterOutputs["audit"]["list"][number];
export type AgentAccess = RouterOutputs["agents"]["list"];
export type HostCredential = AgentAccess["credentials"][number];
export type JoinToken = AgentAccess["joinTokens"][number];
export type CreatedJoinToken = RouterOutputs["agents"]["createJoinToken"];
