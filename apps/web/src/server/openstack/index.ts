import type { IdentitySettings } from "@nimbus/core/settings";
import type { RawRoute } from "../http-routes";
import { cinderService } from "./cinder";
import { glanceService } from "./glance";
import { keystoneService } from "./keystone";
import { neutronService } from "./neutron";
import { novaService } from "./nova";
import { serviceRoutes, type OsDeps, type OsService } from "./service";

/**
 * Every OpenStack API Nimbus speaks, each under its own prefix on the console's port (the
 * catalog in catalog.ts lists them): one service per file.
 */
export function openstackServices(identity: IdentitySettings, deps: Pick<OsDeps, "imageMaxBytes" | "log">): OsService[] {
  return [
    keystoneService(identity),
    novaService(),
    glanceService({ maxBytes: deps.imageMaxBytes, log: deps.log.child({ service: "glance" }) }),
    neutronService(),
    cinderService(),
  ];
}

export function openstackRoutes(deps: OsDeps, identity: IdentitySettings): RawRoute[] {
  return openstackServices(identity, deps).flatMap((service) => serviceRoutes(service, deps));
}

/** A request target under one of the services' prefixes. */
export const OPENSTACK_PATH = /^\/(identity|compute|image|network|volume)(\/|\?|$)/;
