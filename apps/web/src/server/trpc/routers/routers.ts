import {
  addRouterInterface,
  createFloatingIp,
  createFloatingIpInput,
  createRouter,
  createRouterInput,
  deleteFloatingIp,
  deleteRouter,
  getFloatingIp,
  getRouter,
  listFloatingIps,
  listRouters,
  removeRouterInterface,
  routerInterfaceInput,
  updateFloatingIp,
  updateFloatingIpInput,
  updateRouter,
  updateRouterInput,
} from "@nimbus/core/network";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

/** Neutron's routers: the project's own, their interfaces and external gateway. */
export const routersRouter = router({
  list: procedure("routers.list").query(({ ctx }) => listRouters({ ctx })),
  get: procedure("routers.get")
    .input(verbInput(idInput))
    .query(({ ctx, input }) => getRouter({ ctx, input })),
  create: procedure("routers.create")
    .input(verbInput(createRouterInput))
    .mutation(({ ctx, input }) => createRouter({ ctx, input })),
  update: procedure("routers.update")
    .input(verbInput(updateRouterInput))
    .mutation(({ ctx, input }) => updateRouter({ ctx, input })),
  delete: procedure("routers.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteRouter({ ctx, input })),
  addInterface: procedure("routers.addInterface")
    .input(verbInput(routerInterfaceInput))
    .mutation(({ ctx, input }) => addRouterInterface({ ctx, input })),
  removeInterface: procedure("routers.removeInterface")
    .input(verbInput(routerInterfaceInput))
    .mutation(({ ctx, input }) => removeRouterInterface({ ctx, input })),
});

/** Neutron's floating IPs: allocated from an external network, associated with a port, moved, released. */
export const floatingIpsRouter = router({
  list: procedure("floatingIps.list").query(({ ctx }) => listFloatingIps({ ctx })),
  get: procedure("floatingIps.get")
    .input(verbInput(idInput))
    .query(({ ctx, input }) => getFloatingIp({ ctx, input })),
  create: procedure("floatingIps.create")
    .input(verbInput(createFloatingIpInput))
    .mutation(({ ctx, input }) => createFloatingIp({ ctx, input })),
  update: procedure("floatingIps.update")
    .input(verbInput(updateFloatingIpInput))
    .mutation(({ ctx, input }) => updateFloatingIp({ ctx, input })),
  delete: procedure("floatingIps.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteFloatingIp({ ctx, input })),
});
