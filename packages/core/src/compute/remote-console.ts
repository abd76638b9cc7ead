import { randomBytes, randomUUID } from "node:crypto";
import { schema } from "@nimbus/db";
import { eq, lt } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, isNimbusError, parseInput } from "../errors";
import { hashToken } from "../identity/session";
import { authorize } from "../policy";
import { remoteConsolePath } from "../protocol/http";
import { remoteConsoleInput } from "../validation";
import { graphicalConsoleOf } from "./guest-console";
import { findVisibleInstance } from "./queries";

/** Nova's `[consoleauth] token_ttl`: a console URL not opened within 10 minutes is worth nothing. */
export const DEFAULT_CONSOLE_TOKEN_TTL_MS = 10 * 60_000;

/** A graphical console, as Nova's `remote_console` answers it (the URL's origin is the web layer's to add). */
export interface RemoteConsole {
  protocol: "vnc";
  type: "novnc";
  /** The console URL's token: good for one connection, worthless after `expiresAt`. */
  token: string;
  /** The console page with the token, after the console's origin (Nova's `url`). */
  path: string;
  expiresAt: Date;
}

/**
 * Opens a graphical console on an instance (Nova's `POST /servers/{id}/remote-consoles`, protocol
 * vnc, type novnc): the instance's host says where the guest's display listens, and the answer
 * is a short-lived, single-use token that the console proxy exchanges for that address
 * (nova-novncproxy's design). The token is tied to the credential the caller used, so the
 * console it opens ends with that credential. Refused in plain words when there is no screen
 * to show (a simulated host, a guest not running).
 */
export async function createRemoteConsole({ ctx, input }: { ctx: CoreContext; input: z.input<typeof remoteConsoleInput> }): Promise<RemoteConsole> {
  const principal = authorize(ctx.principal, "instances.remoteConsole");
  const { id, protocol, type } = parseInput(remoteConsoleInput, input);
  const credential = ctx.credential;
  // Every caller that got this far has one (the web layer passes it); a console tied to no credential could outlive a sign-out.
  if (!credential) throw NimbusError.forbidden("A console is opened with a console session or an API token.");
  const instance = await findVisibleInstance(ctx.db, principal, id);
  const host = instance.hostId
    ? ((await ctx.db.query.computeHosts.findFirst({
        where: eq(schema.computeHosts.id, instance.hostId),
        columns: { id: true, hostname: true, hypervisorType: true },
      })) ?? null)
    : null;
  const screen = graphicalConsoleOf(instance, host);
  if (!screen.available || !host) throw NimbusError.conflict(screen.available ? "No screen: the instance has no host." : screen.says);

  const ack = await ctx.agents.vncConsole(host.id, { commandId: randomUUID(), instanceId: id }).catch((error: unknown) => {
    if (isNimbusError(error) && error.code === "AgentUnavailable")
      throw new NimbusError("AgentUnavailable", `No screen: the compute agent of ${host.hostname} did not answer (${error.message}).`);
    throw error;
  });
  if (!ack.ok) throw NimbusError.conflict(`No screen: ${host.hostname} could not open the guest's display (${ack.error}).`);

  const token = randomBytes(32).toString("base64url");
  const now = new Date();
  const expiresAt = new Date(now.getTime() + (ctx.consoleTokenTtlMs ?? DEFAULT_CONSOLE_TOKEN_TTL_MS));
  const t = schema.consoleAuthTokens;
  await ctx.db.transaction(async (tx) => {
    // Expired tokens are worth nothing; they go as the next console is asked for.
    await tx.delete(t).where(lt(t.expiresAt, now));
    await tx.insert(t).values({
      tokenHash: hashToken(token),
      protocol,
      instanceId: instance.id,
      projectId: instance.projectId,
      hostId: host.id,
      host: ack.host,
      port: ack.port,
      userId: principal.userId,
      credentialKind: credential.kind,
      sessionTokenHash: credential.kind === "session" ? credential.tokenHash : null,
      apiTokenId: credential.kind === "api_token" ? credential.id : null,
      expiresAt,
    });
    await audit(ctx, tx, {
      action: "instance.remote_console",
      outcome: "success",
      targetType: "instance",
      targetId: instance.id,
      details: { name: instance.name, protocol, type },
    });
  });
  return { protocol, type, token, path: remoteConsolePath(token), expiresAt };
}
