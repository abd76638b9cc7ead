/** The subnet fields as a form holds them (text as typed) and as subnets.create takes them. */
export interface SubnetFormValues {
  name: string;
  cidr: string;
  /** Blank: the CIDR's first host address. */
  gatewayIp: string;
  noGateway: boolean;
  /** One pool a line, "10.0.0.10 - 10.0.0.50" (or one address); blank: every host address but the gateway. */
  allocationPools: string;
  /** Separated by commas, spaces or lines. */
  dnsNameservers: string;
  enableDhcp: boolean;
}

export const initialSubnetValues: SubnetFormValues = {
  name: "",
  cidr: "",
  gatewayIp: "",
  noGateway: false,
  allocationPools: "",
  dnsNameservers: "",
  enableDhcp: true,
};

/** The input fields of a subnet, as the server names them in its errors. */
export const SUBNET_FIELDS = ["name", "cidr", "gatewayIp", "allocationPools", "dnsNameservers", "enableDhcp"] as const;
export type SubnetField = (typeof SUBNET_FIELDS)[number];

/** "10.0.0.10 - 10.0.0.50" per line; a line with one address is a pool of one. */
function parsePools(text: string): { start: string; end: string }[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .map((line) => {
      const [start = "", end = start] = line.split(/\s*[-–]\s*|\s+/);
      return { start, end };
    });
}

function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item.length > 0);
}

export function subnetPayload(values: SubnetFormValues) {
  return {
    name: values.name,
    cidr: values.cidr,
    gatewayIp: values.noGateway ? null : values.gatewayIp.trim() === "" ? undefined : values.gatewayIp,
    allocationPools: parsePools(values.allocationPools),
    dnsNameservers: splitList(values.dnsNameservers),
    enableDhcp: values.enableDhcp,
  };
}
