import type { RouterOutputs } from "@/lib/api-types";

export type KeyPair = RouterOutputs["keyPairs"]["list"][number];
/** keyPairs.create's answer: the key pair and, this once, its private key. */
export type CreatedKeyPair = RouterOutputs["keyPairs"]["create"];
