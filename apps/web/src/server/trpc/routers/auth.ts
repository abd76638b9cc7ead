import { changeOwnPassword, changePasswordInput, myProjects, signIn, signInInput, signOut, switchProject } from "@nimbus/core/identity";
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
    await signOut({ ctx, sessionToken: ctx.sessionToken });
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
