import { createServerGroup, createServerGroupInput, deleteServerGroup, listServerGroups } from "@nimbus/core/compute";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const serverGroupsRouter = router({
  list: procedure("serverGroups.list").query(({ ctx }) => listServerGroups({ ctx })),
  create: procedure("serverGroups.create")
    .input(verbInput(createServerGroupInput))
    .mutation(({ ctx, input }) => createServerGroup({ ctx, input })),
  delete: procedure("serverGroups.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteServerGroup({ ctx, input })),
});
