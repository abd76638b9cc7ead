import {
  addRuleInput,
  addSecurityGroupRule,
  createSecurityGroup,
  createSecurityGroupInput,
  deleteSecurityGroup,
  listSecurityGroups,
  removeSecurityGroupRule,
} from "@nimbus/core/network";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const securityGroupsRouter = router({
  list: procedure("securityGroups.list").query(({ ctx }) => listSecurityGroups({ ctx })),
  create: procedure("securityGroups.create")
    .input(verbInput(createSecurityGroupInput))
    .mutation(({ ctx, input }) => createSecurityGroup({ ctx, input })),
  delete: procedure("securityGroups.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteSecurityGroup({ ctx, input })),
  addRule: procedure("securityGroups.addRule")
    .input(verbInput(addRuleInput))
    .mutation(({ ctx, input }) => addSecurityGroupRule({ ctx, input })),
  /** Input: the rule's id. */
  removeRule: procedure("securityGroups.removeRule")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => removeSecurityGroupRule({ ctx, input })),
});
