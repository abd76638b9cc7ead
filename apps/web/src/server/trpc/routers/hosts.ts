import {
  hostSummary,
  hostSummaryInput,
  listHostPage,
  listHostPageInput,
  listHosts,
  previewPlacement,
  previewPlacementInput,
  updateHost,
  updateHostInput,
} from "@nimbus/core/hosts";
import { evacuateHost } from "@nimbus/core/compute";
import { evacuateHostInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const hostsRouter = router({
  list: procedure("hosts.list").query(({ ctx }) => listHosts({ ctx })),
  /** A page of the inventory, sorted and filtered in the database (the console's table). */
  page: procedure("hosts.page")
    .input(verbInput(listHostPageInput))
    .query(({ ctx, input }) => listHostPage({ ctx, input })),
  /** Totals and the usage chart by SQL aggregates, for the hosts the same filter leaves. */
  summary: procedure("hosts.summary")
    .input(verbInput(hostSummaryInput))
    .query(({ ctx, input }) => hostSummary({ ctx, input })),
  update: procedure("hosts.update")
    .input(verbInput(updateHostInput))
    .mutation(({ ctx, input }) => updateHost({ ctx, input })),
  /** Every instance of a down host rebuilt elsewhere (each said started or refused, with why). */
  evacuate: procedure("hosts.evacuate")
    .input(verbInput(evacuateHostInput))
    .mutation(({ ctx, input }) => evacuateHost({ ctx, input })),
  /** This web process's launch admission (each process has its own). */
  launchAdmission: procedure("hosts.launchAdmission").query(({ ctx }) => ctx.launchAdmission.state()),
  previewPlacement: procedure("hosts.previewPlacement")
    .input(verbInput(previewPlacementInput))
    .query(({ ctx, input }) => previewPlacement({ ctx, input })),
});
