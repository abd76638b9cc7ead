import { router } from "./init";
import { authRouter } from "./routers/auth";
import { catalogRouter } from "./routers/catalog";
import { hostsRouter } from "./routers/hosts";
import { instancesRouter } from "./routers/instances";
import { quotaRouter } from "./routers/quota";

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  instances: instancesRouter,
  quota: quotaRouter,
  hosts: hostsRouter,
});

export type AppRouter = typeof appRouter;
