import { router } from "./init";
import { agentsRouter } from "./routers/agents";
import { aggregatesRouter } from "./routers/aggregates";
import { archiveRouter } from "./routers/archive";
import { authRouter } from "./routers/auth";
import { availabilityZonesRouter, catalogRouter } from "./routers/catalog";
import { flavorsRouter } from "./routers/flavors";
import { hostsRouter } from "./routers/hosts";
import { imagesRouter } from "./routers/images";
import { auditRouter, projectsRouter, quotasRouter, rolesRouter, usersRouter } from "./routers/identity-admin";
import { instancesRouter, migrationsRouter } from "./routers/instances";
import { keyPairsRouter } from "./routers/key-pairs";
import { networksRouter, portsRouter, subnetsRouter } from "./routers/networks";
import { floatingIpsRouter, routersRouter } from "./routers/routers";
import { quotaRouter } from "./routers/quota";
import { securityGroupsRouter } from "./routers/security-groups";
import { serverGroupsRouter } from "./routers/server-groups";
import { tokensRouter } from "./routers/tokens";
import { volumesRouter } from "./routers/volumes";

export const appRouter = router({
  auth: authRouter,
  catalog: catalogRouter,
  flavors: flavorsRouter,
  availabilityZones: availabilityZonesRouter,
  instances: instancesRouter,
  migrations: migrationsRouter,
  images: imagesRouter,
  quota: quotaRouter,
  serverGroups: serverGroupsRouter,
  keyPairs: keyPairsRouter,
  volumes: volumesRouter,
  networks: networksRouter,
  routers: routersRouter,
  floatingIps: floatingIpsRouter,
  subnets: subnetsRouter,
  ports: portsRouter,
  securityGroups: securityGroupsRouter,
  hosts: hostsRouter,
  aggregates: aggregatesRouter,
  agents: agentsRouter,
  tokens: tokensRouter,
  users: usersRouter,
  projects: projectsRouter,
  roles: rolesRouter,
  quotas: quotasRouter,
  audit: auditRouter,
  archive: archiveRouter,
});

export type AppRouter = typeof appRouter;
