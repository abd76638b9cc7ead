import {
  createKeyPair,
  createKeyPairInput,
  deleteKeyPair,
  importKeyPair,
  importKeyPairInput,
  keyPairNameInput,
  listKeyPairPage,
  listKeyPairs,
  listKeyPairsInput,
} from "@nimbus/core/keypairs";
import { procedure, router, verbInput } from "../init";

/** Nova's os-keypairs: the caller's own key pairs, named uniquely per user. */
export const keyPairsRouter = router({
  list: procedure("keyPairs.list").query(({ ctx }) => listKeyPairs({ ctx })),
  /** A page of the key pairs table, sorted and filtered in SQL. */
  page: procedure("keyPairs.page")
    .input(verbInput(listKeyPairsInput))
    .query(({ ctx, input }) => listKeyPairPage({ ctx, input })),
  create: procedure("keyPairs.create")
    .input(verbInput(createKeyPairInput))
    .mutation(({ ctx, input }) => createKeyPair({ ctx, input })),
  import: procedure("keyPairs.import")
    .input(verbInput(importKeyPairInput))
    .mutation(({ ctx, input }) => importKeyPair({ ctx, input })),
  delete: procedure("keyPairs.delete")
    .input(verbInput(keyPairNameInput))
    .mutation(({ ctx, input }) => deleteKeyPair({ ctx, input })),
});
