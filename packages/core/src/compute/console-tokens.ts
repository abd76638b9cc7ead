import { schema } from "@nimbus/db";
import type { ConsoleAuthTokenRow } from "@nimbus/db/schema";
import { eq } from "@nimbus/db/orm";
import type { Credential, Services } from "../context";
import { isNimbusError } from "../errors";
import { checkCredential } from "../identity/check-credential";
import { hashToken } from "../identity/session";
import { authorize } from "../policy";

/** What a console token opens: the guest's display, for whom, on the strength of which credential. */
export interface ConsoleTarget {
  instanceId: string;
  projectId: string;
  hostId: string;
  /** Where the proxy connects (the address and port the host's agent reported). */
  host: string;
  port: number;
  userId: string;
  credential: Credential;
}

/** Whether a console may stay open (and until when at the latest, unless looked at again), or why not. */
export type ConsoleStanding = { ok: true; validUntil: Date } | { ok: false; reason: string };

/** A console token's length is bounded long before it reaches the database (they are 43 characters). */
const MAX_TOKEN_CHARS = 256;

/**
 * The console proxy's exchange of a console URL's token (nova-novncproxy asking consoleauth):
 * the token is taken out of the database in the same statement that reads it, so it opens one
 * connection at most, whichever web process gets it; an expired one opens nothing. The
 * credential that asked for it must still stand, and may still open this console
 * (`consoleStanding`).
 */
export async function redeemConsoleToken(
  services: Pick<Services, "db" | "identity">,
  token: string,
  now = new Date(),
): Promise<{ ok: true; target: ConsoleTarget; validUntil: Date } | { ok: false; reason: string }> {
  const refused = "This console link was used already or is not valid: open the console again from the instance page.";
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) return { ok: false, reason: refused };
  const t = schema.consoleAuthTokens;
  const [row] = await services.db
    .delete(t)
    .where(eq(t.tokenHash, hashToken(token)))
    .returning();
  if (!row) return { ok: false, reason: refused };
  if (row.expiresAt <= now) return { ok: false, reason: "This console link expired: open the console again from the instance page." };
  const target = targetOf(row);
  if (!target) return { ok: false, reason: refused };
  const standing = await consoleStanding(services, target, now);
  return standing.ok ? { ok: true, target, validUntil: standing.validUntil } : standing;
}

/**
 * Whether the console `target` may stay open now: the credential that opened it still stands
 * (not signed out, revoked, expired, its user not disabled), its principal may still open
 * consoles (`instances.remoteConsole`) in the instance's project, and the instance is still on
 * the host whose display the console shows. The proxy asks when the token is exchanged, when the
 * credential would lapse, and at least every so often while the console is open.
 */
export async function consoleStanding(
  services: Pick<Services, "db" | "identity">,
  target: ConsoleTarget,
  now = new Date(),
): Promise<ConsoleStanding> {
  const standing = await checkCredential(services.db, target.credential, services.identity?.session, now);
  if (!standing) return { ok: false, reason: "Your session ended (signed out, expired or revoked), and the console with it." };
  try {
    authorize(standing.principal, "instances.remoteConsole");
  } catch (error) {
    if (isNimbusError(error)) return { ok: false, reason: `${error.message} The console is closed.` };
    throw error;
  }
  if (standing.principal.projectId !== target.projectId) {
    return { ok: false, reason: "You now work in another project: this instance's console is closed." };
  }
  const [instance] = await services.db
    .select({ vmState: schema.instances.vmState, taskState: schema.instances.taskState, hostId: schema.instances.hostId })
    .from(schema.instances)
    .where(eq(schema.instances.id, target.instanceId));
  if (!instance || instance.vmState === "deleted" || instance.taskState === "deleting") {
    return { ok: false, reason: "The instance is being deleted: its console is closed." };
  }
  if (instance.hostId !== target.hostId) return { ok: false, reason: "The instance moved to another host: open the console again." };
  return { ok: true, validUntil: standing.validUntil };
}

/** The row's target; null if it names no credential (the table's check constraint forbids that). */
function targetOf(row: ConsoleAuthTokenRow): ConsoleTarget | null {
  const credential: Credential | null =
    row.credentialKind === "session"
      ? row.sessionTokenHash
        ? { kind: "session", tokenHash: row.sessionTokenHash }
        : null
      : row.apiTokenId
        ? { kind: "api_token", id: row.apiTokenId }
        : null;
  if (!credential) return null;
  return {
    instanceId: row.instanceId,
    projectId: row.projectId,
    hostId: row.hostId,
    host: row.host,
    port: row.port,
    userId: row.userId,
    credential,
  };
}
