import { schema } from "@nimbus/db";
import { and, eq } from "@nimbus/db/orm";
import type { z } from "zod";
import { audit } from "../audit/record";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { keyPairNameInput } from "./validation";

/**
 * Deletes one of the caller's key pairs, by name as Nova does. Instances launched with it keep
 * the public key they were given.
 */
export async function deleteKeyPair({ ctx, input }: { ctx: CoreContext; input: z.input<typeof keyPairNameInput> }) {
  const principal = authorize(ctx.principal, "keyPairs.delete");
  const { name } = parseInput(keyPairNameInput, input);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(schema.keyPairs)
      .where(and(eq(schema.keyPairs.userId, principal.userId), eq(schema.keyPairs.name, name)))
      .returning({ id: schema.keyPairs.id, fingerprint: schema.keyPairs.fingerprint });
    if (!row) throw new NimbusError("NotFound", `You have no key pair named ${name}.`, { kind: "Key pair", id: name });
    await audit(ctx, tx, {
      action: "keypair.delete",
      outcome: "success",
      targetType: "key_pair",
      targetId: row.id,
      details: { name, fingerprint: row.fingerprint },
    });
    return { name };
  });
}
