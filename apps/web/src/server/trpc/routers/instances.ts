import { createRemoteConsole, deleteInstance, getInstance, getInstanceConsole, launchInstance, listInstances } from "@nimbus/core/compute";
import { instanceConsoleInput, instanceIdInput, launchInstanceInput, remoteConsoleInput } from "@nimbus/core/validation";
import { launchAdmitted, procedure, router, verbInput } from "../init";

export const instancesRouter = router({
  list: procedure("instances.list").query(({ ctx }) => listInstances({ ctx })),
  get: procedure("instances.get")
    .input(verbInput(instanceIdInput))
    .query(({ ctx, input }) => getInstance({ ctx, input })),
  launch: procedure("instances.launch")
    .input(verbInput(launchInstanceInput))
    .use(launchAdmitted(launchInstanceInput))
    .mutation(({ ctx, input }) => launchInstance({ ctx, input })),
  console: procedure("instances.console")
    .input(verbInput(instanceConsoleInput))
    .query(({ ctx, input }) => getInstanceConsole({ ctx, input })),
  /** A graphical console's single-use token and page (Nova's POST /servers/{id}/remote-consoles). */
  remoteConsole: procedure("instances.remoteConsole")
    .input(verbInput(remoteConsoleInput))
    .mutation(({ ctx, input }) => createRemoteConsole({ ctx, input })),
  delete: procedure("instances.delete")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => deleteInstance({ ctx, input })),
});
