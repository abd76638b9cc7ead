import { archivedInstancesInput, archiveDeletedInstancesNow, archiveNowInput, listArchivedInstances } from "@nimbus/core/compute";
import { procedure, router, verbInput } from "../init";

/** The archive of deleted instances (nova-manage db archive_deleted_rows): run it now, read what it holds. */
export const archiveRouter = router({
  run: procedure("archive.run")
    .input(verbInput(archiveNowInput))
    .mutation(({ ctx, input }) => archiveDeletedInstancesNow({ ctx, input })),
  list: procedure("archive.list")
    .input(verbInput(archivedInstancesInput))
    .query(({ ctx, input }) => listArchivedInstances({ ctx, input })),
});
