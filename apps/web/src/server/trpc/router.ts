import { router } from "./init";
import { aggregatesRouter } from "./routers/aggregates";
import { authRouter } from "./routers/auth";
import { catalogRouter } from "./routers/catalog";
import { hostsRouter } from "./routers/hosts";
import { instancesRouter } from "./routers/instances";
import { quotaRouter } from "./routers/quota";
import { serverGroupsRouter } from "./routers/server-groups";

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  instances: instancesRouter,
  quota: quotaRouter,
  serverGroups: serverGroupsRouter,
  hosts: hostsRouter,
  aggregates: aggregatesRouter,
});

export type AppRouter = typeof appRouter;
