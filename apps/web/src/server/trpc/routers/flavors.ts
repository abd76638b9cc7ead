import {
  addFlavorAccess,
  createFlavor,
  createFlavorInput,
  deleteFlavor,
  findFlavors,
  flavorAccessInput,
  flavorIdInput,
  getFlavor,
  listFlavorAccess,
  listFlavorsInput,
  removeFlavorAccess,
  setFlavorProperties,
  setFlavorPropertiesInput,
  updateFlavor,
  updateFlavorInput,
} from "@nimbus/core/catalog";
import { procedure, router, verbInput } from "../init";

/** Nova's flavors: listing as Nova does, and the cloud admins' flavor-manage, properties and access. */
export const flavorsRouter = router({
  list: procedure("flavors.list")
    .input(verbInput(listFlavorsInput))
    .query(({ ctx, input }) => findFlavors({ ctx, input })),
  get: procedure("flavors.get")
    .input(verbInput(flavorIdInput))
    .query(({ ctx, input }) => getFlavor({ ctx, input })),
  create: procedure("flavors.create")
    .input(verbInput(createFlavorInput))
    .mutation(({ ctx, input }) => createFlavor({ ctx, input })),
  update: procedure("flavors.update")
    .input(verbInput(updateFlavorInput))
    .mutation(({ ctx, input }) => updateFlavor({ ctx, input })),
  setProperties: procedure("flavors.setProperties")
    .input(verbInput(setFlavorPropertiesInput))
    .mutation(({ ctx, input }) => setFlavorProperties({ ctx, input })),
  delete: procedure("flavors.delete")
    .input(verbInput(flavorIdInput))
    .mutation(({ ctx, input }) => deleteFlavor({ ctx, input })),
  access: procedure("flavors.access")
    .input(verbInput(flavorIdInput))
    .query(({ ctx, input }) => listFlavorAccess({ ctx, input })),
  addAccess: procedure("flavors.addAccess")
    .input(verbInput(flavorAccessInput))
    .mutation(({ ctx, input }) => addFlavorAccess({ ctx, input })),
  removeAccess: procedure("flavors.removeAccess")
    .input(verbInput(flavorAccessInput))
    .mutation(({ ctx, input }) => removeFlavorAccess({ ctx, input })),
});
