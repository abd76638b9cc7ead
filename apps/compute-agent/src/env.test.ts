import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv, type Env } from "./env";

const base = { NIMBUS_HOSTNAME: "compute-1", NIMBUS_STATE_DIR: "/var/lib/nimbus-agent" };
const TOKEN = "join-token-0123456789abcdef";

function parsed(variables: Record<string, string>): Env {
  const result = parseEnv({ ...base, ...variables });
  if (!result.ok) throw new Error(result.issues.join("; "));
  return result.env;
}

function issues(variables: Record<string, string>): string[] {
  const result = parseEnv({ ...base, ...variables });
  return result.ok ? [] : result.issues;
}

describe("parseEnv", () => {
  it("reads NIMBUS_SERVER_URL as a comma-separated list of servers, in order", () => {
    expect(parsed({ NIMBUS_SERVER_URL: "http://web-1:3000/, https://web-2 ,," }).serverUrls).toEqual(["http://web-1:3000", "https://web-2"]);
    expect(parsed({}).serverUrls).toEqual(["http://127.0.0.1:3000"]);
  });

  it("dials the web server that HOST and PORT name when NIMBUS_SERVER_URL is unset, as npm start runs both", () => {
    expect(parsed({ PORT: "3300" }).serverUrls).toEqual(["http://127.0.0.1:3300"]);
    expect(parsed({ HOST: "0.0.0.0", PORT: "8080" }).serverUrls).toEqual(["http://127.0.0.1:8080"]);
    expect(parsed({ HOST: "web.example", PORT: "80", NIMBUS_SERVER_URL: "http://other.example:3000" }).serverUrls).toEqual([
      "http://other.example:3000",
    ]);
  });

  it("resolves relative paths against the directory the user ran npm in (INIT_CWD), not the agent's package", () => {
    const env = parsed({ NIMBUS_STATE_DIR: "var/agent-2", NIMBUS_AGENT_SECRET_FILE: ".data/agent-secret", INIT_CWD: "/home/op/nimbus" });
    expect(env.stateDir).toBe("/home/op/nimbus/var/agent-2");
    expect(env.credentialFile).toBe("/home/op/nimbus/var/agent-2/host-credential");
    expect(env.secretSource).toEqual({ kind: "file", path: "/home/op/nimbus/.data/agent-secret" });
  });

  it("finds the secret and keeps its state in the web server's NIMBUS_DATA_DIR, as npm start runs both", () => {
    const result = parseEnv({ NIMBUS_HOSTNAME: "vm", NIMBUS_DATA_DIR: "scratch/cloud", INIT_CWD: "/home/op/nimbus" });
    if (!result.ok) throw new Error(result.issues.join("; "));
    expect(result.env.secretSource).toEqual({ kind: "file", path: "/home/op/nimbus/scratch/cloud/agent-secret" });
    expect(result.env.stateDir).toBe("/home/op/nimbus/scratch/cloud/agent-vm");
  });

  it("refuses a list with a URL that is not http(s)", () => {
    expect(issues({ NIMBUS_SERVER_URL: "http://web-1,ftp://web-2" })).toEqual(["NIMBUS_SERVER_URL.1: must be http(s) URLs, separated by commas"]);
  });

  it("keeps the host credential in the state dir unless NIMBUS_CREDENTIAL_FILE says otherwise", () => {
    const env = parsed({ NIMBUS_JOIN_TOKEN: TOKEN });
    expect(env.credentialFile).toBe(path.join("/var/lib/nimbus-agent", "host-credential"));
    expect(env.joinToken).toBe(TOKEN);
    expect(parsed({ NIMBUS_CREDENTIAL_FILE: "/etc/nimbus/credential" }).credentialFile).toBe("/etc/nimbus/credential");
  });

  it("runs one real host by default and N simulated hosts with NIMBUS_SIMULATED_HOSTS", () => {
    expect(parsed({}).simulation).toBeNull();
    expect(parsed({ NIMBUS_SIMULATED_HOSTS: "3" }).simulation).toEqual({ hosts: 3, vcpus: 32, memoryMb: 131072 });
    expect(parsed({ NIMBUS_SIMULATED_HOSTS: "2", NIMBUS_SIM_VCPUS: "8", NIMBUS_SIM_MEMORY_MB: "4096" }).simulation).toEqual({
      hosts: 2,
      vcpus: 8,
      memoryMb: 4096,
    });
    expect(issues({ NIMBUS_SIMULATED_HOSTS: "0" })).toHaveLength(1);
  });

  it("refuses a join token in simulation mode without echoing the token", () => {
    const found = issues({ NIMBUS_SIMULATED_HOSTS: "2", NIMBUS_JOIN_TOKEN: TOKEN });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^NIMBUS_JOIN_TOKEN: cannot be used with NIMBUS_SIMULATED_HOSTS/);
    expect(found.join()).not.toContain(TOKEN);
  });

  it("prunes the image cache every 40 minutes of images unused for a day (Nova's defaults), or as set, never younger than a minute", () => {
    expect(parsed({}).imageCache).toEqual({ pruneIntervalMs: 2_400_000, minAgeMs: 86_400_000 });
    expect(parsed({ NIMBUS_IMAGE_CACHE_PRUNE_INTERVAL_SECONDS: "600", NIMBUS_IMAGE_CACHE_MIN_AGE_SECONDS: "3600" }).imageCache).toEqual({
      pruneIntervalMs: 600_000,
      minAgeMs: 3_600_000,
    });
    expect(issues({ NIMBUS_IMAGE_CACHE_MIN_AGE_SECONDS: "5" })).toHaveLength(1);
  });

  it("refuses a hostname too long to name the simulated hosts", () => {
    const hostname = "h".repeat(250);
    expect(parseEnv({ ...base, NIMBUS_HOSTNAME: hostname }).ok).toBe(true);
    expect(issues({ NIMBUS_HOSTNAME: hostname, NIMBUS_SIMULATED_HOSTS: "10" })).toEqual([
      "NIMBUS_HOSTNAME: is too long to name the simulated hosts (<hostname>-sim-<n>)",
    ]);
  });

  it("takes a tunnel address (IPv4 only); in simulation mode each host takes the next one, which must exist", () => {
    expect(parsed({}).tunnelAddress).toBeNull();
    expect(parsed({ NIMBUS_TUNNEL_IP: "198.18.0.1" }).tunnelAddress).toBe("198.18.0.1");
    expect(issues({ NIMBUS_TUNNEL_IP: "eth0" })).toEqual(["NIMBUS_TUNNEL_IP: must be an IPv4 address of this host"]);
    expect(issues({ NIMBUS_TUNNEL_IP: "255.255.255.250", NIMBUS_SIMULATED_HOSTS: "10" })).toEqual([
      "NIMBUS_TUNNEL_IP: leaves too few addresses after it for every simulated host",
    ]);
  });

  it("allows the test-only endpoints only on a qemu host, never with simulated hosts", () => {
    expect(parsed({ NIMBUS_TEST_ENDPOINTS: "ovl1", NIMBUS_LIBVIRT_URI: "qemu:///system" }).testEndpoints).toBe("ovl1");
    expect(issues({ NIMBUS_TEST_ENDPOINTS: "ovl1" })).toEqual([
      "NIMBUS_TEST_ENDPOINTS: needs a qemu:// NIMBUS_LIBVIRT_URI (its networks and filters)",
    ]);
    expect(issues({ NIMBUS_TEST_ENDPOINTS: "../etc", NIMBUS_LIBVIRT_URI: "qemu:///system" })).toHaveLength(1);
  });

  it("binds guests' screens to the host only unless told, and reports the listen address to the console proxy", () => {
    expect(parsed({}).vnc).toEqual({ listen: "127.0.0.1", proxyclientAddress: "127.0.0.1" });
    expect(parsed({ NIMBUS_VNC_SERVER_LISTEN: "10.0.0.5" }).vnc).toEqual({ listen: "10.0.0.5", proxyclientAddress: "10.0.0.5" });
    expect(parsed({ NIMBUS_VNC_SERVER_LISTEN: "0.0.0.0", NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS: "compute-1.mgmt" }).vnc).toEqual({
      listen: "0.0.0.0",
      proxyclientAddress: "compute-1.mgmt",
    });
  });

  it("refuses a VNC listen address that is no IP address, and a wildcard one without the address the proxy reaches", () => {
    expect(issues({ NIMBUS_VNC_SERVER_LISTEN: "compute-1" })).toEqual(["NIMBUS_VNC_SERVER_LISTEN: must be an IP address"]);
    expect(issues({ NIMBUS_VNC_SERVER_LISTEN: "::" })).toEqual([
      expect.stringMatching(/^NIMBUS_VNC_SERVER_PROXYCLIENT_ADDRESS: must be set when NIMBUS_VNC_SERVER_LISTEN listens on every address/),
    ]);
  });
});
