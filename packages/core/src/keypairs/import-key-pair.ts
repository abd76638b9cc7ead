import type { z } from "zod";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { fingerprintOf, parsePublicKey, PublicKeyError, type PublicKey } from "./openssh";
import { insertKeyPair, keyPairView } from "./store";
import { importKeyPairInput } from "./validation";

/** Nova's key pair import: an OpenSSH public key line (ed25519, RSA ≥ 2048 bits, ECDSA), checked to the byte. */
export async function importKeyPair({ ctx, input }: { ctx: CoreContext; input: z.input<typeof importKeyPairInput> }) {
  const principal = authorize(ctx.principal, "keyPairs.import");
  const { name, publicKey } = parseInput(importKeyPairInput, input);
  let key: PublicKey;
  try {
    key = parsePublicKey(publicKey);
  } catch (error) {
    if (!(error instanceof PublicKeyError)) throw error;
    throw NimbusError.badRequest(`The public key is not valid: ${error.message}`, [{ path: "publicKey", message: error.message }]);
  }
  const row = await insertKeyPair(ctx, principal, { name, publicKey: key.line, fingerprint: fingerprintOf(key.blob), action: "keypair.import" });
  return keyPairView(row);
}
