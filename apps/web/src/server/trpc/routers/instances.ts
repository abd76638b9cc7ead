import { deleteInstance, getInstance, getInstanceConsole, launchInstance, listInstances } from "@nimbus/core/compute";
import { getInstanceInput, instanceConsoleInput, instanceIdInput, launchInstanceInput, listInstancesInput } from "@nimbus/core/validation";
import { launchAdmitted, procedure, router, verbInput } from "../init";

export const instancesRouter = router({
  list: procedure("instances.list")
    .input(verbInput(listInstancesInput))
    .query(({ ctx, input }) => listInstances({ ctx, input })),
  /** The operator's list: every project's instances (with the same filters). */
  allProjects: procedure("instances.allProjects")
    .input(verbInput(listInstancesInput))
    .query(({ ctx, input }) => listInstances({ ctx, input: { ...input, allProjects: true } })),
  get: procedure("instances.get")
    .input(verbInput(getInstanceInput))
    .query(({ ctx, input }) => getInstance({ ctx, input })),
  launch: procedure("instances.launch")
    .input(verbInput(launchInstanceInput))
    .use(launchAdmitted(launchInstanceInput))
    .mutation(({ ctx, input }) => launchInstance({ ctx, input })),
  console: procedure("instances.console")
    .input(verbInput(instanceConsoleInput))
    .query(({ ctx, input }) => getInstanceConsole({ ctx, input })),
  delete: procedure("instances.delete")
    .input(verbInput(instanceIdInput))
    .mutation(({ ctx, input }) => deleteInstance({ ctx, input })),
});
