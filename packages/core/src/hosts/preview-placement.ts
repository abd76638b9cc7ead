import { schema } from "@nimbus/db";
import { and, eq, isNull } from "@nimbus/db/orm";
import { z } from "zod";
import { loadGroupSpec } from "../scheduler/request-spec";
import type { CoreContext } from "../context";
import { NimbusError, parseInput } from "../errors";
import { authorize } from "../policy";
import { loadHostSnapshots } from "../scheduler/host-states";
import { hostVerdicts } from "../scheduler/explain";
import { defaultFilters } from "../scheduler/filters";
import { selectHosts } from "../scheduler/select";
import type { RequestSpec } from "../scheduler/types";
import { weighersFor } from "../scheduler/weighers";
import { text } from "../validation";

export const previewPlacementInput = z.object({
  flavorId: z.uuid("Choose a flavor."),
  imageId: z.uuid().nullable().default(null),
  availabilityZone: text("Availability zone").trim().max(64).nullable().default(null),
  serverGroupId: z.uuid().nullable().default(null),
});

/**
 * "Where would this go, and why not elsewhere?": runs the scheduler over every host without
 * claiming anything, and returns the ranking plus each refused host's first failing filter.
 */
export async function previewPlacement({ ctx, input }: { ctx: CoreContext; input: z.input<typeof previewPlacementInput> }) {
  const principal = authorize(ctx.principal, "hosts.previewPlacement");
  const request = parseInput(previewPlacementInput, input);
  const flavor = await ctx.db.query.flavors.findFirst({ where: and(eq(schema.flavors.id, request.flavorId), isNull(schema.flavors.deletedAt)) });
  if (!flavor) throw NimbusError.notFound("Flavor", request.flavorId);
  const image = request.imageId ? await ctx.db.query.images.findFirst({ where: eq(schema.images.id, request.imageId) }) : undefined;
  const spec: RequestSpec = {
    vcpus: flavor.vcpus,
    memoryMb: flavor.memoryMb,
    diskGb: flavor.rootGb,
    projectId: principal.projectId,
    imageProperties: image?.properties ?? {},
    availabilityZone: request.availabilityZone,
    group: await loadGroupSpec(ctx.db, request.serverGroupId),
  };
  const hosts = await loadHostSnapshots(ctx.db, { downAfterMs: ctx.hostDownAfterMs });
  const result = selectHosts(hosts, spec, { maxAttempts: hosts.length || 1, weighers: weighersFor(ctx.scheduler?.multipliers) });
  return {
    flavor: flavor.name,
    chosen: result.ok ? (result.hosts[0]?.hostname ?? null) : null,
    ranking: result.ok ? result.hosts.map((h) => h.hostname) : [],
    explanation: result.ok
      ? `${result.hosts.length} of ${hosts.length} hosts can take it; ${result.hosts[0]!.hostname} ranks first.`
      : result.explanation,
    hosts: hostVerdicts(hosts, spec, defaultFilters),
  };
}
