import { createApiToken, createApiTokenInput, listApiTokens, revokeApiToken } from "@nimbus/core/identity";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const tokensRouter = router({
  list: procedure("tokens.list").query(({ ctx }) => listApiTokens({ ctx })),
  create: procedure("tokens.create")
    .input(verbInput(createApiTokenInput))
    .mutation(({ ctx, input }) => createApiToken({ ctx, input })),
  revoke: procedure("tokens.revoke")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => revokeApiToken({ ctx, input })),
});
