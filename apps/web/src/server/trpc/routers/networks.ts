import {
  createNetwork,
  createNetworkInput,
  createSubnet,
  createSubnetInput,
  deleteNetwork,
  deleteSubnet,
  getNetwork,
  getNetworkTopology,
  getPort,
  listNetworkPage,
  listNetworks,
  listNetworksInput,
  listPortPage,
  listPorts,
  listPortsInput,
  networkUsage,
  networkUsageInput,
} from "@nimbus/core/network";
import { idInput } from "@nimbus/core/validation";
import { procedure, router, verbInput } from "../init";

export const networksRouter = router({
  list: procedure("networks.list").query(({ ctx }) => listNetworks({ ctx })),
  /** A page of the networks, sorted and filtered in SQL. */
  page: procedure("networks.page")
    .input(verbInput(listNetworksInput))
    .query(({ ctx, input }) => listNetworkPage({ ctx, input })),
  get: procedure("networks.get")
    .input(verbInput(idInput))
    .query(({ ctx, input }) => getNetwork({ ctx, input })),
  create: procedure("networks.create")
    .input(verbInput(createNetworkInput))
    .mutation(({ ctx, input }) => createNetwork({ ctx, input })),
  delete: procedure("networks.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteNetwork({ ctx, input })),
  /** How many networks, subnets, ports, groups and rules a project holds (Neutron's quota details). */
  usage: procedure("networks.usage")
    .input(verbInput(networkUsageInput))
    .query(({ ctx, input }) => networkUsage({ ctx, input })),
  /** The project's networks, routers and instances as one graph (Horizon's Network Topology). */
  topology: procedure("networks.topology").query(({ ctx }) => getNetworkTopology({ ctx })),
});

export const subnetsRouter = router({
  create: procedure("subnets.create")
    .input(verbInput(createSubnetInput))
    .mutation(({ ctx, input }) => createSubnet({ ctx, input })),
  delete: procedure("subnets.delete")
    .input(verbInput(idInput))
    .mutation(({ ctx, input }) => deleteSubnet({ ctx, input })),
});

export const portsRouter = router({
  list: procedure("ports.list")
    .input(verbInput(listPortsInput))
    .query(({ ctx, input }) => listPorts({ ctx, input })),
  /** A page of the project's ports, sorted and filtered in SQL. */
  page: procedure("ports.page")
    .input(verbInput(listPortsInput))
    .query(({ ctx, input }) => listPortPage({ ctx, input })),
  get: procedure("ports.get")
    .input(verbInput(idInput))
    .query(({ ctx, input }) => getPort({ ctx, input })),
});
