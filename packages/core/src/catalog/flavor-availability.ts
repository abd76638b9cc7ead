import { z } from "zod";
import type { CoreContext } from "../context";
import { parseInput } from "../errors";
import { authorize } from "../policy";
import { text } from "../validation";
import { visibleFlavors } from "./visible-flavors";
import { loadHostSnapshots } from "../scheduler/host-states";
import { selectHosts } from "../scheduler/select";
import type { RequestSpec } from "../scheduler/types";

export const flavorAvailabilityInput = z
  .object({
    /** The zone the launch asks for; null for any zone. */
    availabilityZone: text("Availability zone").trim().max(64).nullable().default(null),
  })
  .default({ availabilityZone: null });

export interface FlavorAvailability {
  flavorId: string;
  /** Whether an enabled host that is up could take one instance of the flavor now. */
  available: boolean;
  /** Why none could, in the scheduler's words with counts only ("1 host considered: 1 disabled."); null when one can. */
  reason: string | null;
}

/**
 * The wizard's "can this flavor land anywhere now?": the scheduler's filters over every host for
 * one instance of each flavor the caller may launch, claiming nothing. Unlike the operators'
 * placement preview it names no host, only how many were refused and why, so members may ask.
 */
export async function flavorAvailability({ ctx, input }: { ctx: CoreContext; input?: z.input<typeof flavorAvailabilityInput> }) {
  const principal = authorize(ctx.principal, "catalog.flavorAvailability");
  const request = parseInput(flavorAvailabilityInput, input);
  const [flavors, hosts] = await Promise.all([visibleFlavors(ctx.db, principal), loadHostSnapshots(ctx.db, { downAfterMs: ctx.hostDownAfterMs })]);
  return flavors.map((flavor): FlavorAvailability => {
    const spec: RequestSpec = {
      vcpus: flavor.vcpus,
      memoryMb: flavor.memoryMb,
      diskGb: flavor.rootGb,
      projectId: principal.projectId,
      imageProperties: {},
      availabilityZone: request.availabilityZone,
      group: null,
    };
    const result = selectHosts(hosts, spec, { maxAttempts: 1 });
    return { flavorId: flavor.id, available: result.ok, reason: result.ok ? null : result.explanation };
  });
}
