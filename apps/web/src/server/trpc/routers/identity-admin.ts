import { listAudit, listAuditInput } from "@nimbus/core/audit";
import {
  assignRole,
  createProject,
  createProjectInput,
  createUser,
  createUserInput,
  listProjects,
  listUserPage,
  listUsers,
  listUsersInput,
  removeRole,
  removeRoleInput,
  roleAssignmentInput,
  setUserEnabled,
  setUserEnabledInput,
  unlockUser,
} from "@nimbus/core/identity";
import { projectIdInput, projectQuotas, setQuota, setQuotaInput } from "@nimbus/core/quota";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const usersRouter = router({
  list: procedure("users.list").query(({ ctx }) => listUsers({ ctx })),
  /** A page of the users table, sorted and filtered in SQL. */
  page: procedure("users.page")
    .input(verbInput(listUsersInput))
    .query(({ ctx, input }) => listUserPage({ ctx, input })),
  create: procedure("users.create")
    .input(verbInput(createUserInput))
    .mutation(({ ctx, input }) => createUser({ ctx, input })),
  setEnabled: procedure("users.setEnabled")
    .input(verbInput(setUserEnabledInput))
    .mutation(({ ctx, input }) => setUserEnabled({ ctx, input })),
  unlock: procedure("users.unlock")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => unlockUser({ ctx, input })),
});

export const projectsRouter = router({
  list: procedure("projects.list").query(({ ctx }) => listProjects({ ctx })),
  create: procedure("projects.create")
    .input(verbInput(createProjectInput))
    .mutation(({ ctx, input }) => createProject({ ctx, input })),
});

export const rolesRouter = router({
  assign: procedure("roles.assign")
    .input(verbInput(roleAssignmentInput))
    .mutation(({ ctx, input }) => assignRole({ ctx, input })),
  remove: procedure("roles.remove")
    .input(verbInput(removeRoleInput))
    .mutation(({ ctx, input }) => removeRole({ ctx, input })),
});

export const quotasRouter = router({
  get: procedure("quotas.get")
    .input(verbInput(projectIdInput))
    .query(({ ctx, input }) => projectQuotas({ ctx, input })),
  set: procedure("quotas.set")
    .input(verbInput(setQuotaInput))
    .mutation(({ ctx, input }) => setQuota({ ctx, input })),
});

export const auditRouter = router({
  list: procedure("audit.list")
    .input(verbInput(listAuditInput))
    .query(({ ctx, input }) => listAudit({ ctx, input })),
});
