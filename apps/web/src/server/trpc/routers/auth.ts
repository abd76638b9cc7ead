import { changeOwnPassword, changePasswordInput, hashToken, myProjects, revokeSession, signIn, signInInput, switchProject } from "@nimbus/core/identity";
import { audit } from "@nimbus/core/audit";
import { z } from "zod";
import { procedure, router } from "../init";

export const authRouter = router({
  signIn: procedure("auth.signIn")
    .input(signInInput)
    .mutation(async ({ ctx, input }) => {
      const { token, principal, expiresAt } = await signIn({ ctx, input, settings: ctx.identity, userAgent: ctx.userAgent });
      ctx.setSessionCookie(token, expiresAt);
      return principal;
    }),
  signOut: procedure("auth.signOut").mutation(async ({ ctx }) => {
    if (ctx.sessionToken) {
      await revokeSession(ctx.db, ctx.sessionToken);
      await audit(ctx, ctx.db, { action: "auth.sign_out", outcome: "success", targetType: "user", targetId: ctx.principal!.userId });
      ctx.publisher.sessionEnded?.(hashToken(ctx.sessionToken));
    }
    ctx.setSessionCookie(null);
    return { ok: true as const };
  }),
  whoami: procedure("auth.whoami").query(({ ctx }) => ctx.principal),
  projects: procedure("auth.projects").query(({ ctx }) => myProjects({ ctx })),
  switchProject: procedure("auth.switchProject")
    .input(z.object({ projectId: z.uuid() }))
    .mutation(({ ctx, input }) => switchProject({ ctx, input, sessionToken: ctx.sessionToken })),
  changePassword: procedure("auth.changePassword")
    .input(changePasswordInput)
    .mutation(({ ctx, input }) => changeOwnPassword({ ctx, input, currentToken: ctx.sessionToken })),
});
