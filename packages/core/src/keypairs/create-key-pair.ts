import type { z } from "zod";
import type { CoreContext } from "../context";
import { authorize } from "../policy";
import { generateEd25519KeyPair } from "./openssh";
import { insertKeyPair, keyPairView } from "./store";
import { createKeyPairInput } from "./validation";
import { parseInput } from "../errors";

/**
 * Nova's key pair generation: a new ed25519 key whose public half is stored; the private half
 * is returned in this one response, in OpenSSH's format, and is neither stored nor logged.
 */
export async function createKeyPair({ ctx, input }: { ctx: CoreContext; input: z.input<typeof createKeyPairInput> }) {
  const principal = authorize(ctx.principal, "keyPairs.create");
  const { name } = parseInput(createKeyPairInput, input);
  const generated = generateEd25519KeyPair(name);
  const row = await insertKeyPair(ctx, principal, {
    name,
    publicKey: generated.publicKey,
    fingerprint: generated.fingerprint,
    action: "keypair.create",
  });
  return { ...keyPairView(row), privateKey: generated.privateKey };
}
