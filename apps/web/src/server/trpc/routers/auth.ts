import { revokeSession, signIn, signInInput } from "@nimbus/core/identity";
import { procedure, router } from "../init";

export const authRouter = router({
  signIn: procedure("auth.signIn")
    .input(signInInput)
    .mutation(async ({ ctx, input }) => {
      const { token, principal, expiresAt } = await signIn({ ctx, input, userAgent: ctx.userAgent });
      ctx.setSessionCookie(token, expiresAt);
      return principal;
    }),
  signOut: procedure("auth.signOut").mutation(async ({ ctx }) => {
    if (ctx.sessionToken) await revokeSession(ctx.db, ctx.sessionToken);
    ctx.setSessionCookie(null);
    return { ok: true as const };
  }),
  whoami: procedure("auth.whoami").query(({ ctx }) => ctx.principal),
});
