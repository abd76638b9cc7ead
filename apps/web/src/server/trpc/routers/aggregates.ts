import {
  addHostToAggregate,
  aggregateHostInput,
  aggregateIdInput,
  createAggregate,
  createAggregateInput,
  deleteAggregate,
  listAggregates,
  removeHostFromAggregate,
} from "@nimbus/core/hosts";
import { procedure, router } from "../init";

export const aggregatesRouter = router({
  list: procedure("aggregates.list").query(({ ctx }) => listAggregates({ ctx })),
  create: procedure("aggregates.create")
    .input(createAggregateInput)
    .mutation(({ ctx, input }) => createAggregate({ ctx, input })),
  delete: procedure("aggregates.delete")
    .input(aggregateIdInput)
    .mutation(({ ctx, input }) => deleteAggregate({ ctx, input })),
  addHost: procedure("aggregates.addHost")
    .input(aggregateHostInput)
    .mutation(({ ctx, input }) => addHostToAggregate({ ctx, input })),
  removeHost: procedure("aggregates.removeHost")
    .input(aggregateHostInput)
    .mutation(({ ctx, input }) => removeHostFromAggregate({ ctx, input })),
});
