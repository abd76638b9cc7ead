import { createKeyPair, createKeyPairInput, deleteKeyPair, importKeyPair, importKeyPairInput, keyPairNameInput, listKeyPairs } from "@nimbus/core/keypairs";
import { procedure, router } from "../init";

/** Nova's os-keypairs: the caller's own key pairs, named uniquely per user. */
export const keyPairsRouter = router({
  list: procedure("keyPairs.list").query(({ ctx }) => listKeyPairs({ ctx })),
  create: procedure("keyPairs.create")
    .input(createKeyPairInput)
    .mutation(({ ctx, input }) => createKeyPair({ ctx, input })),
  import: procedure("keyPairs.import")
    .input(importKeyPairInput)
    .mutation(({ ctx, input }) => importKeyPair({ ctx, input })),
  delete: procedure("keyPairs.delete")
    .input(keyPairNameInput)
    .mutation(({ ctx, input }) => deleteKeyPair({ ctx, input })),
});
