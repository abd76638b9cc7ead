import { schema, type Executor } from "@nimbus/db";
import { and, asc, desc, eq, gt, gte, isNull, lt, ne, sql } from "@nimbus/db/orm";
import type { CoreContext, Services } from "../context";
import { authorize } from "../policy";
import type { ConsoleChunk, DownloadProgress } from "../protocol/agent";
import { Announcements } from "./announce";
import { currentActionId, hostnameOf } from "./lifecycle";
import { findVisibleInstance } from "./queries";
import { parseInput } from "../errors";
import { instanceConsoleInput, instanceIdInput } from "../validation";
import type { z } from "zod";

/**
 * Lines a guest prints when it has finished booting: the Nimbus test guest's marker,
 * cloud-init's final message, and a getty's login prompt.
 */
export const GUEST_BOOTED_PATTERNS = [/NIMBUS-GUEST booted/, /Cloud-init v\. \S+ finished at/, /\blogin: *$/m];

/** How much of the text before a chunk is looked at to find a marker split across chunks. */
const MARKER_OVERLAP = 256;

export type ConsoleOutcome = "stored" | "duplicate" | "refused";

/**
 * Stores a piece of a guest's serial console (once per offset), relays it to the project's
 * viewers, and when the guest says it has booted, records "guest_booted" once (Nimbus goes
 * beyond Nova's ACTIVE: the guest itself finished booting).
 */
export async function recordConsoleChunk(
  services: Pick<Services, "db" | "publisher">,
  { hostId, chunk }: { hostId: string; chunk: ConsoleChunk },
): Promise<ConsoleOutcome> {
  const instance = await services.db.query.instances.findFirst({ where: eq(schema.instances.id, chunk.instanceId) });
  // An agent may only speak for instances placed on its own host.
  if (!instance || instance.hostId !== hostId || instance.vmState === "deleted") return "refused";
  const [stored] = await services.db
    .insert(schema.instanceConsoleChunks)
    .values({ instanceId: chunk.instanceId, offset: chunk.offset, data: chunk.data })
    .onConflictDoNothing()
    .returning({ offset: schema.instanceConsoleChunks.offset });
  if (!stored) return "duplicate";
  services.publisher.instanceConsole?.({ ...chunk, projectId: instance.projectId });

  if (instance.guestBootedAt !== null) return "stored";
  const seen = (await textBefore(services.db, chunk)) + chunk.data;
  if (GUEST_BOOTED_PATTERNS.some((p) => p.test(seen))) await markGuestBooted(services, instance.id, hostId);
  return "stored";
}

/**
 * The last MARKER_OVERLAP characters stored before the chunk, read back from the database, so
 * whichever server process receives the next chunk sees them: the chunks starting within the
 * bytes just before it (a character is at most 4 bytes), and the one those bytes begin in.
 */
async function textBefore(db: Executor, { instanceId, offset }: ConsoleChunk): Promise<string> {
  const c = schema.instanceConsoleChunks;
  const windowStart = sql`(select coalesce(max(${c.offset}), 0) from ${c} where ${c.instanceId} = ${instanceId} and ${c.offset} <= ${offset - 4 * MARKER_OVERLAP})`;
  const rows = await db
    .select({ data: c.data })
    .from(c)
    .where(and(eq(c.instanceId, instanceId), lt(c.offset, offset), gte(c.offset, windowStart)))
    .orderBy(asc(c.offset));
  return rows
    .map((r) => r.data)
    .join("")
    .slice(-MARKER_OVERLAP);
}

async function markGuestBooted(services: Pick<Services, "db" | "publisher">, instanceId: string, hostId: string): Promise<void> {
  const out = new Announcements();
  await services.db.transaction(async (tx) => {
    const now = new Date();
    const [updated] = await tx
      .update(schema.instances)
      .set({ guestBootedAt: now, updatedAt: now })
      .where(and(eq(schema.instances.id, instanceId), isNull(schema.instances.guestBootedAt), ne(schema.instances.vmState, "deleted")))
      .returning();
    if (!updated) return;
    const actionId = await currentActionId(tx, instanceId);
    if (!actionId) return;
    const host = await hostnameOf(tx, hostId);
    const [event] = await tx
      .insert(schema.instanceActionEvents)
      .values({
        actionId,
        instanceId,
        event: "guest_booted",
        startTime: now,
        finishTime: now,
        result: "Success",
        host,
        details: "The guest's console says it finished booting.",
      })
      .returning();
    if (event) out.event(updated.projectId, event);
    out.instance(updated, host);
  });
  out.flush(services.publisher);
}

/** Relays an image download's progress to the instance's viewers (not stored). */
export async function relayDownloadProgress(
  services: Pick<Services, "db" | "publisher">,
  { hostId, progress }: { hostId: string; progress: DownloadProgress },
): Promise<boolean> {
  const instance = await services.db.query.instances.findFirst({
    where: eq(schema.instances.id, progress.instanceId),
    columns: { projectId: true, hostId: true, vmState: true },
  });
  if (!instance || instance.hostId !== hostId || instance.vmState !== "building") return false;
  services.publisher.instanceDownload?.({ ...progress, projectId: instance.projectId });
  return true;
}

/** At most this much console log is returned per call (the newest part when starting from the top). */
const MAX_CONSOLE_RESPONSE_CHARS = 256 * 1024;

/**
 * The stored serial console of an instance: everything after `afterOffset`, or when not given
 * the newest ~256 KiB. `nextOffset` is where the next call (or the live stream) continues.
 */
export async function getInstanceConsole({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceConsoleInput> }) {
  const principal = authorize(ctx.principal, "instances.console");
  const { id, afterOffset } = parseInput(instanceConsoleInput, input);
  const instance = await findVisibleInstance(ctx.db, principal, id);
  const c = schema.instanceConsoleChunks;
  const rows =
    afterOffset === undefined
      ? (await ctx.db.select().from(c).where(eq(c.instanceId, id)).orderBy(desc(c.offset)).limit(256)).reverse()
      : await ctx.db
          .select()
          .from(c)
          .where(and(eq(c.instanceId, id), gt(c.offset, afterOffset)))
          .orderBy(asc(c.offset))
          .limit(256);
  let text = "";
  let firstOffset: number | null = null;
  let lastOffset = afterOffset ?? -1;
  for (const row of rows) {
    firstOffset ??= row.offset;
    text += row.data;
    lastOffset = row.offset;
  }
  const truncated = text.length > MAX_CONSOLE_RESPONSE_CHARS;
  return {
    instanceId: id,
    text: truncated ? text.slice(-MAX_CONSOLE_RESPONSE_CHARS) : text,
    truncated,
    firstOffset,
    /** The offset of the last chunk included; live chunks with a larger offset follow it. */
    lastOffset,
    guestBootedAt: instance.guestBootedAt ?? null,
  };
}

/** Rows read per statement while the whole log is streamed. */
const CONSOLE_LOG_PAGE_ROWS = 256;

/**
 * The whole stored serial console of an instance, oldest first, for a download: the instance's
 * name and its log as pages of text, each read from the database as the reader asks for it (a
 * long log is never held whole).
 */
export async function readConsoleLog({ ctx, input }: { ctx: CoreContext; input: z.input<typeof instanceIdInput> }) {
  const principal = authorize(ctx.principal, "http:instance-console-log");
  const { id } = parseInput(instanceIdInput, input);
  const instance = await findVisibleInstance(ctx.db, principal, id);
  const c = schema.instanceConsoleChunks;
  async function* pages(): AsyncGenerator<string> {
    let after = -1;
    for (;;) {
      const rows = await ctx.db
        .select({ offset: c.offset, data: c.data })
        .from(c)
        .where(and(eq(c.instanceId, id), gt(c.offset, after)))
        .orderBy(asc(c.offset))
        .limit(CONSOLE_LOG_PAGE_ROWS);
      if (rows.length > 0) yield rows.map((r) => r.data).join("");
      if (rows.length < CONSOLE_LOG_PAGE_ROWS) return;
      after = rows.at(-1)!.offset;
    }
  }
  return { instanceId: id, name: instance.name, pages: pages() };
}
