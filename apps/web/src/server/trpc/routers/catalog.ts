import { flavorAvailability, flavorAvailabilityInput, listFlavors, listImages, listNetworks } from "@nimbus/core/catalog";
import { describeAvailabilityZones, listAvailabilityZones } from "@nimbus/core/hosts";
import { procedure, router, verbInput } from "../init";

export const catalogRouter = router({
  flavors: procedure("catalog.flavors").query(({ ctx }) => listFlavors({ ctx })),
  images: procedure("catalog.images").query(({ ctx }) => listImages({ ctx })),
  networks: procedure("catalog.networks").query(({ ctx }) => listNetworks({ ctx })),
  flavorAvailability: procedure("catalog.flavorAvailability")
    .input(verbInput(flavorAvailabilityInput))
    .query(({ ctx, input }) => flavorAvailability({ ctx, input })),
  availabilityZones: procedure("catalog.availabilityZones").query(({ ctx }) => listAvailabilityZones({ ctx })),
});

/** Nova's availability zone list: each zone and whether an enabled host is in it. */
export const availabilityZonesRouter = router({
  list: procedure("availabilityZones.list").query(({ ctx }) => describeAvailabilityZones({ ctx })),
});
