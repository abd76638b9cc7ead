import { listFlavors, listImages, listNetworks } from "@nimbus/core/catalog";
import { listAvailabilityZones } from "@nimbus/core/hosts";
import { procedure, router } from "../init";

export const catalogRouter = router({
  flavors: procedure("catalog.flavors").query(({ ctx }) => listFlavors({ ctx })),
  images: procedure("catalog.images").query(({ ctx }) => listImages({ ctx })),
  networks: procedure("catalog.networks").query(({ ctx }) => listNetworks({ ctx })),
  availabilityZones: procedure("catalog.availabilityZones").query(({ ctx }) => listAvailabilityZones({ ctx })),
});
