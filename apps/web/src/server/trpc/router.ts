import { router } from "./init";
import { agentsRouter } from "./routers/agents";
import { aggregatesRouter } from "./routers/aggregates";
import { authRouter } from "./routers/auth";
import { catalogRouter } from "./routers/catalog";
import { hostsRouter } from "./routers/hosts";
import { auditRouter, projectsRouter, quotasRouter, rolesRouter, usersRouter } from "./routers/identity-admin";
import { instancesRouter } from "./routers/instances";
import { quotaRouter } from "./routers/quota";
import { serverGroupsRouter } from "./routers/server-groups";
import { tokensRouter } from "./routers/tokens";

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  instances: instancesRouter,
  quota: quotaRouter,
  serverGroups: serverGroupsRouter,
  hosts: hostsRouter,
  aggregates: aggregatesRouter,
  agents: agentsRouter,
  tokens: tokensRouter,
  users: usersRouter,
  projects: projectsRouter,
  roles: rolesRouter,
  quotas: quotasRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
