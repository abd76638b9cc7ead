import { createJoinToken, createJoinTokenInput, hostnameInput, listAgentAccess, revokeHostCredential } from "@nimbus/core/hosts";
import { procedure, router, verbInput } from "../init";

export const agentsRouter = router({
  list: procedure("agents.list").query(({ ctx }) => listAgentAccess({ ctx })),
  createJoinToken: procedure("agents.createJoinToken")
    .input(verbInput(createJoinTokenInput))
    .mutation(({ ctx, input }) => createJoinToken({ ctx, input })),
  revoke: procedure("agents.revoke")
    .input(verbInput(hostnameInput))
    .mutation(({ ctx, input }) => revokeHostCredential({ ctx, input })),
});
