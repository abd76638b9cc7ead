import { schema } from "@nimbus/db";
import { and, eq, sql } from "@nimbus/db/orm";
import { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { containsText, keyset, textPart, timestampPart } from "../paging/keyset";
import { authorize } from "../policy";
import { MAX_LIST_LIMIT, pageInput, text } from "../validation";
import { keyPairView } from "./store";

export const KEY_PAIR_SORT_KEYS = ["name", "created_at"] as const;
export type KeyPairSortKey = (typeof KEY_PAIR_SORT_KEYS)[number];

/** A key pair list's orders, each ending in the id: by name (unique per user) or by creation. */
const keyPairKeyset = keyset<KeyPairSortKey>({
  keys: {
    name: [textPart(sql`${schema.keyPairs.name}`)],
    created_at: [timestampPart(sql`${schema.keyPairs.createdAt}`)],
  },
  id: sql`${schema.keyPairs.id}`,
  idCast: (v) => sql`${v}::uuid`,
});

export const listKeyPairsInput = z
  .object({
    ...pageInput(KEY_PAIR_SORT_KEYS, { sort: "name", direction: "asc", limit: 20 }),
    /** A page after the key pair of this name (Nova's marker at 2.35): one of the caller's, or a BadRequest. */
    marker: text("Marker").max(255).optional(),
    /** Names that contain this text, any case (the console's filter). */
    nameContains: text("Name").max(255, "Use at most 255 characters.").optional(),
  })
  .default({ sort: "name", direction: "asc", limit: 20 });
export type ListKeyPairsInput = z.input<typeof listKeyPairsInput>;

/** A page of the caller's own key pairs (Nova: key pairs belong to a user, whatever the project), in SQL. */
export async function listKeyPairPage({ ctx, input }: { ctx: CoreContext; input?: ListKeyPairsInput }) {
  const principal = authorize(ctx.principal, "keyPairs.list");
  const value = parseInput(listKeyPairsInput, input);
  const k = schema.keyPairs;
  const scope = eq(k.userId, principal.userId);
  const request = await keyPairKeyset.fromMarker(
    value,
    value.marker,
    async (select) =>
      (
        await ctx.db
          .select({ id: k.id, _keyset: select })
          .from(k)
          .where(and(scope, eq(k.name, value.marker!)))
      )[0],
    () => NimbusError.badRequest(`marker [${value.marker}] not found`, [{ path: "marker", message: "No key pair of that name." }]),
  );
  const page = await keyPairKeyset.run(request, ({ select, where, orderBy, limit }) =>
    ctx.db
      .select({ row: k, id: k.id, _keyset: select })
      .from(k)
      .where(and(scope, value.nameContains ? containsText(sql`${k.name}`, value.nameContains) : undefined, where))
      .orderBy(...orderBy)
      .limit(limit),
  );
  return { ...page, items: page.items.map((r) => keyPairView(r.row)) };
}

/** The caller's own key pairs as one list, by name: listKeyPairPage's first page of at most MAX_LIST_LIMIT. */
export async function listKeyPairs({ ctx }: { ctx: CoreContext }) {
  return (await listKeyPairPage({ ctx, input: { limit: MAX_LIST_LIMIT } })).items;
}

/** One of the caller's key pairs by name, or NotFound. */
export async function getKeyPair({ ctx, input }: { ctx: CoreContext; input: { name: string } }) {
  const principal = authorize(ctx.principal, "keyPairs.list");
  const name = parseInput(text("Key pair name").max(255), input.name);
  const [row] = await ctx.db
    .select()
    .from(schema.keyPairs)
    .where(and(eq(schema.keyPairs.userId, principal.userId), eq(schema.keyPairs.name, name)));
  if (!row) throw NimbusError.notFound("Key pair", name);
  return keyPairView(row);
}
