import { describe, expect, it } from "vitest";
import { chooseRouterHost, gatewayRefusal, interfaceRefusal, routerForFloatingIp, type RouterHostCandidate } from "./router-rules";

const subnet = (id: string, cidr: string, gatewayIp: string | null = cidr.replace(/0\/\d+$/, "1")) => ({
  id,
  name: id,
  cidr,
  gatewayIp,
  networkId: `net-${id}`,
});

describe("router interfaces", () => {
  it("takes a subnet with a gateway that overlaps none of the router's", () => {
    expect(interfaceRefusal("r", { ...subnet("a", "10.0.1.0/24"), external: false }, [subnet("b", "10.0.2.0/24")])).toBeNull();
  });
  it("refuses a subnet without a gateway, one already attached, an overlapping one and an external one, in Neutron's words", () => {
    expect(interfaceRefusal("r", { ...subnet("a", "10.0.1.0/24", null), external: false }, [])).toMatch(/does not have a gateway IP/);
    expect(interfaceRefusal("r", { ...subnet("a", "10.0.1.0/24"), external: false }, [subnet("a", "10.0.1.0/24")])).toMatch(
      /already has a port on subnet a/,
    );
    expect(interfaceRefusal("r", { ...subnet("a", "10.0.0.0/16"), external: false }, [subnet("b", "10.0.7.0/24")])).toMatch(
      /Cidr 10.0.0.0\/16 of subnet a overlaps with cidr 10.0.7.0\/24 of subnet b/,
    );
    expect(interfaceRefusal("r", { ...subnet("a", "10.0.1.0/24"), external: true }, [])).toMatch(/external network/);
  });
});

describe("router gateways", () => {
  it("need an external network with a subnet", () => {
    expect(gatewayRefusal({ id: "n", name: "public", routerExternal: true }, 1)).toBeNull();
    expect(gatewayRefusal({ id: "n", name: "private", routerExternal: false }, 1)).toMatch(/not an external network/);
    expect(gatewayRefusal({ id: "n", name: "public", routerExternal: true }, 0)).toMatch(/has no subnet/);
  });
});

describe("floating IP association", () => {
  const routers = [
    { id: "r1", externalNetworkId: "ext", subnetIds: ["s1"] },
    { id: "r2", externalNetworkId: null, subnetIds: ["s2"] },
    { id: "r3", externalNetworkId: "other", subnetIds: ["s3"] },
  ];
  it("finds the router of the port's subnet with its gateway on the floating IP's network", () => {
    expect(routerForFloatingIp(routers, "s1", "ext")?.id).toBe("r1");
  });
  it("finds none for a subnet on a router without a gateway, or with a gateway on another network, or on no router", () => {
    expect(routerForFloatingIp(routers, "s2", "ext")).toBeNull();
    expect(routerForFloatingIp(routers, "s3", "ext")).toBeNull();
    expect(routerForFloatingIp(routers, "s9", "ext")).toBeNull();
  });
});

describe("router scheduling (least routers)", () => {
  const host = (id: string, routers: number, extra: Partial<RouterHostCandidate> = {}): RouterHostCandidate => ({
    id,
    hostname: id,
    up: true,
    enabled: true,
    tunnelAddress: "192.0.2.1",
    physicalNetworks: ["physnet1"],
    routers,
    ...extra,
  });
  it("picks the host with fewest routers, then by name", () => {
    expect(chooseRouterHost([host("b", 0), host("a", 1), host("c", 0)], null, null)).toBe("b");
  });
  it("needs the gateway's physical network, an up and enabled host on the overlay", () => {
    const hosts = [
      host("a", 0, { physicalNetworks: [] }),
      host("b", 0, { up: false }),
      host("c", 0, { enabled: false }),
      host("d", 0, { tunnelAddress: null }),
      host("e", 5),
    ];
    expect(chooseRouterHost(hosts, "physnet1", null)).toBe("e");
    expect(chooseRouterHost(hosts.slice(0, 4), "physnet1", null)).toBeNull();
  });
  it("keeps a router where it is while its host still qualifies, and moves it when it does not", () => {
    expect(chooseRouterHost([host("a", 0), host("b", 9)], null, "b")).toBe("b");
    expect(chooseRouterHost([host("a", 0), host("b", 9, { physicalNetworks: [] })], "physnet1", "b")).toBe("a");
  });
});
