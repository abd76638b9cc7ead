import {
  addHostToAggregate,
  aggregateHostInput,
  createAggregate,
  createAggregateInput,
  deleteAggregate,
  deleteAggregateInput,
  listAggregates,
  removeHostFromAggregate,
  updateAggregate,
  updateAggregateInput,
} from "@nimbus/core/hosts";
import { procedure, router, verbInput } from "../init";

export const aggregatesRouter = router({
  list: procedure("aggregates.list").query(({ ctx }) => listAggregates({ ctx })),
  create: procedure("aggregates.create")
    .input(verbInput(createAggregateInput))
    .mutation(({ ctx, input }) => createAggregate({ ctx, input })),
  update: procedure("aggregates.update")
    .input(verbInput(updateAggregateInput))
    .mutation(({ ctx, input }) => updateAggregate({ ctx, input })),
  delete: procedure("aggregates.delete")
    .input(verbInput(deleteAggregateInput))
    .mutation(({ ctx, input }) => deleteAggregate({ ctx, input })),
  addHost: procedure("aggregates.addHost")
    .input(verbInput(aggregateHostInput))
    .mutation(({ ctx, input }) => addHostToAggregate({ ctx, input })),
  removeHost: procedure("aggregates.removeHost")
    .input(verbInput(aggregateHostInput))
    .mutation(({ ctx, input }) => removeHostFromAggregate({ ctx, input })),
});
