import {
  changeOwnPassword,
  changePasswordInput,
  myProjects,
  signIn,
  signInInput,
  signOut,
  switchProject,
  switchProjectInput,
} from "@nimbus/core/identity";
import { procedure, router, verbInput } from "../init";

export const authRouter = router({
  signIn: procedure("auth.signIn")
    .input(verbInput(signInInput))
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
    .input(verbInput(switchProjectInput))
    .mutation(({ ctx, input }) => switchProject({ ctx, input, sessionToken: ctx.sessionToken })),
  changePassword: procedure("auth.changePassword")
    .input(verbInput(changePasswordInput))
    .mutation(({ ctx, input }) => changeOwnPassword({ ctx, input, currentToken: ctx.sessionToken })),
});
