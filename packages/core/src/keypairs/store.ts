import type { Principal } from "../policy";
import { schema } from "@nimbus/db";
import type { CoreContext } from "../context";
import { audit } from "../audit/record";
import { NimbusError } from "../errors";
import { enforceKeyPairQuota } from "../quota/key-pairs";
import { algorithmOf } from "./openssh";
import type { KeyPairRow } from "@nimbus/db/schema";

/** What the API shows of a key pair: never more than the public half. */
export function keyPairView(row: KeyPairRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    algorithm: algorithmOf(row.publicKey),
    fingerprint: row.fingerprint,
    publicKey: row.publicKey,
    createdAt: row.createdAt,
  };
}
export type KeyPairView = ReturnType<typeof keyPairView>;

/**
 * Records a key pair of the calling user: quota first (under the user's lock), then the insert,
 * which the unique (user, name) index turns into a Conflict on the name field.
 */
export async function insertKeyPair(
  ctx: CoreContext,
  principal: Principal,
  { name, publicKey, fingerprint, action }: { name: string; publicKey: string; fingerprint: string; action: "keypair.create" | "keypair.import" },
): Promise<KeyPairRow> {
  return ctx.db.transaction(async (tx) => {
    await enforceKeyPairQuota(tx, { userId: principal.userId, projectId: principal.projectId });
    const [row] = await tx
      .insert(schema.keyPairs)
      .values({ userId: principal.userId, name, type: "ssh", publicKey, fingerprint })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      throw new NimbusError("Conflict", `You already have a key pair named ${name}.`, {
        fields: [{ path: "name", message: "You already have a key pair with this name." }],
      });
    }
    await audit(ctx, tx, { action, outcome: "success", targetType: "key_pair", targetId: row.id, details: { name, fingerprint } });
    return row;
  });
}
