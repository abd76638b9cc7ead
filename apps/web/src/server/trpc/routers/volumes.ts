import { createVolume, createVolumeInput, deleteVolume, getVolume, listVolumePage, listVolumes, listVolumesInput } from "@nimbus/core/volumes";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

/** Cinder's volumes of the current project. */
export const volumesRouter = router({
  list: procedure("volumes.list").query(({ ctx }) => listVolumes({ ctx })),
  /** A page of the volumes table, sorted and filtered in SQL (every project's with allProjects, for cloud administrators). */
  page: procedure("volumes.page")
    .input(verbInput(listVolumesInput))
    .query(({ ctx, input }) => listVolumePage({ ctx, input })),
  /** Every project's volumes, for cloud administrators (Cinder's all_tenants). */
  listAllProjects: procedure("volumes.listAllProjects").query(({ ctx }) => listVolumes({ ctx, input: { allProjects: true } })),
  get: procedure("volumes.get")
    .input(verbInput(idInput))
    .query(({ ctx, input }) => getVolume({ ctx, input })),
  create: procedure("volumes.create")
    .input(verbInput(createVolumeInput))
    .mutation(({ ctx, input }) => createVolume({ ctx, input })),
  delete: procedure("volumes.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteVolume({ ctx, input })),
});
