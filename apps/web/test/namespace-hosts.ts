/**
 * Compute hosts that carry real traffic on one machine (root only): each host is a network
 * namespace with its own libvirtd (private config, run and state directories, so its networks,
 * dnsmasqs and nwfilters are its own), its own tunnel address on an underlay bridge that joins
 * the namespaces, and its own compute agent process, run in the namespace. By default the agents
 * use the test-only endpoint driver (NIMBUS_TEST_ENDPOINTS): an instance is a veth endpoint in a
 * namespace of its own, plugged into the host's real libvirt network with its real nwfilter
 * bound to it, so no guest has to boot. With `guests: "qemu"` they boot real qemu guests (TCG)
 * instead, each libvirtd with a virtlogd of its own beside it.
 *
 * Every name carries a per-run id (`nov<4 hex>`), every address lives inside namespaces this
 * run made (the underlay is 198.18.<n>.0/24, RFC 2544's benchmarking range; the web server
 * listens on .254 of it, on the underlay bridge), and `close()` removes every namespace, device,
 * daemon and directory the run made, also after a failure (and on process exit, as far as a
 * synchronous handler can).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { appendFileSync, chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AGENT_SECRET, repoRoot, waitFor } from "./harness";

export interface NamespaceHost {
  hostname: string;
  /** The host's network namespace. */
  netns: string;
  tunnelAddress: string;
  /** The host's libvirtd, by its socket. */
  libvirtUri: string;
  /** Prefix of the endpoints' namespaces (`<prefix>-<8 hex of the instance id>`). */
  endpointPrefix: string;
  startAgent(): void;
  /** SIGTERM, and waits for the process to end. */
  stopAgent(): Promise<void>;
  agentOutput(): string;
  /** Runs a command in the host's namespace; resolves with its standard output. */
  exec(...command: string[]): string;
}

export interface NamespaceCloud {
  id: string;
  /** Where the web server listens: on the underlay bridge, reachable from every host. */
  serverAddress: string;
  hosts: NamespaceHost[];
  /** Starts each host's libvirtd and agent (the server must listen on `serverAddress` first). */
  start(serverUrl: string): Promise<void>;
  /** The namespace of an instance's endpoint on `host`. */
  endpointOf(host: NamespaceHost, instanceId: string): string;
  /** Runs a command in an endpoint's namespace; throws with its output when it fails. */
  inEndpoint(endpoint: string, ...command: string[]): string;
  /**
   * The "outside" (with `external`): a namespace on the flat external network that joins the
   * external hosts' `br-ex` bridges, holding `outsideAddress` (the external subnet's gateway).
   */
  outside: { netns: string; address: string; exec(...command: string[]): string } | null;
  close(): Promise<void>;
}

/** A flat external network joining some hosts' `br-ex` (physnet1) and an outside namespace. */
export interface ExternalNetworkLayout {
  /** Indexes of the hosts that map physnet1 to their br-ex (NIMBUS_PHYSNETS). */
  hosts: number[];
  /** The outside namespace's address and prefix on it, e.g. 203.0.113.1/24. */
  outside: string;
}

const run = (command: string, ...args: string[]) => execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const quiet = (command: string, ...args: string[]) => {
  try {
    run(command, ...args);
  } catch {
    // Cleanup: what is already gone is fine.
  }
};

/**
 * A VLAN trunk joining some hosts' `trunk0` interfaces (physnet2): a bridge in the machine's
 * namespace that carries their tagged frames as a switch's trunk ports would.
 */
export interface TrunkLayout {
  /** Indexes of the hosts that map physnet2 to their trunk0 (NIMBUS_PHYSNETS). */
  hosts: number[];
}

/** Lays out `names.length` hosts; nothing is started until `start`. */
export function namespaceCloud(
  names: string[],
  {
    logLevel = "info",
    external,
    guests = "endpoints",
    trunk,
  }: { logLevel?: string; external?: ExternalNetworkLayout; guests?: "endpoints" | "qemu"; trunk?: TrunkLayout } = {},
): NamespaceCloud {
  const id = `nov${randomBytes(2).toString("hex")}`;
  const third = randomInt(1, 254);
  const underlay = `${id}ul`;
  const serverAddress = `198.18.${third}.254`;
  const workDir = mkdtempSync(path.join(tmpdir(), `nimbus-${id}-`));
  // Real guests' QEMU runs as libvirt's qemu user: it must reach the hosts' state directories.
  if (guests === "qemu") chmodSync(workDir, 0o755);
  const daemons: ChildProcess[] = [];
  const agents = new Map<string, ChildProcess>();
  let closed = false;

  run("ip", "link", "add", underlay, "type", "bridge");
  run("ip", "addr", "add", `${serverAddress}/24`, "dev", underlay);
  run("ip", "link", "set", underlay, "up");
  // The external network's wire: a bridge the outside and each external host's br-ex are on.
  const externalWire = `${id}ex`;
  if (external) {
    run("ip", "link", "add", externalWire, "type", "bridge");
    run("ip", "link", "set", externalWire, "up");
  }

  const trunkWire = `${id}tk`;
  if (trunk) {
    run("ip", "link", "add", trunkWire, "type", "bridge");
    run("ip", "link", "set", trunkWire, "up");
  }

  const hosts: NamespaceHost[] = names.map((hostname, index) => {
    const letter = String.fromCharCode(97 + index);
    const netns = `${id}-${letter}`;
    const tunnelAddress = `198.18.${third}.${index + 1}`;
    const dir = path.join(workDir, letter);
    const output: string[] = [];
    for (const sub of ["run", "lib", "etc", "cache", "log", "state"]) mkdirSync(path.join(dir, sub), { recursive: true });
    run("ip", "netns", "add", netns);
    run("ip", "-n", netns, "link", "set", "lo", "up");
    run("ip", "link", "add", `${id}${letter}u`, "type", "veth", "peer", "name", "ul0", "netns", netns);
    run("ip", "link", "set", `${id}${letter}u`, "master", underlay, "up");
    run("ip", "-n", netns, "addr", "add", `${tunnelAddress}/24`, "dev", "ul0");
    run("ip", "-n", netns, "link", "set", "ul0", "up");
    const libvirtUri = `qemu:///system?socket=${path.join(dir, "run", "libvirt-sock")}`;
    const onExternal = external?.hosts.includes(index) ?? false;
    if (onExternal) {
      run("ip", "-n", netns, "link", "add", "br-ex", "type", "bridge");
      run("ip", "link", "add", `${id}${letter}x`, "type", "veth", "peer", "name", "exl0", "netns", netns);
      run("ip", "link", "set", `${id}${letter}x`, "master", externalWire, "up");
      run("ip", "-n", netns, "link", "set", "exl0", "master", "br-ex", "up");
      run("ip", "-n", netns, "link", "set", "br-ex", "up");
    }
    const onTrunk = trunk?.hosts.includes(index) ?? false;
    if (onTrunk) {
      run("ip", "link", "add", `${id}${letter}t`, "type", "veth", "peer", "name", "trunk0", "netns", netns);
      run("ip", "link", "set", `${id}${letter}t`, "master", trunkWire, "up");
      run("ip", "-n", netns, "link", "set", "trunk0", "up");
    }
    const physnets = [...(onExternal ? ["physnet1:br-ex"] : []), ...(onTrunk ? ["physnet2:trunk0"] : [])].join(",");
    return {
      hostname,
      netns,
      tunnelAddress,
      libvirtUri,
      endpointPrefix: `${id}${letter}`,
      startAgent() {
        // In the host's network namespace only (nsenter --net): endpoints' namespaces it makes
        // are named, and visible, machine-wide, as `ip netns exec` would not leave them.
        const child = spawn(
          "nsenter",
          [`--net=/run/netns/${netns}`, process.execPath, "--import", "tsx", path.join(repoRoot, "apps/compute-agent/src/main.ts")],
          {
            cwd: path.join(repoRoot, "apps/compute-agent"),
            env: {
              PATH: process.env.PATH ?? "",
              NODE_ENV: "test",
              NIMBUS_SERVER_URL: serverUrlOf(),
              NIMBUS_AGENT_SECRET: AGENT_SECRET,
              NIMBUS_HOSTNAME: hostname,
              NIMBUS_STATE_DIR: path.join(dir, "state"),
              NIMBUS_LIBVIRT_URI: libvirtUri,
              NIMBUS_TUNNEL_IP: tunnelAddress,
              ...(guests === "endpoints" ? { NIMBUS_TEST_ENDPOINTS: `${id}${letter}` } : {}),
              NIMBUS_ROUTER_NETNS_PREFIX: `${id}${letter}-qrouter-`,
              ...(physnets ? { NIMBUS_PHYSNETS: physnets } : {}),
              NIMBUS_DISK_GB: "100",
              NIMBUS_HEARTBEAT_MS: "1000",
              LOG_LEVEL: logLevel,
            },
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        child.stdout?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
        child.stderr?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
        agents.set(hostname, child);
      },
      async stopAgent() {
        const child = agents.get(hostname);
        agents.delete(hostname);
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      },
      agentOutput: () => output.join(""),
      exec: (...command: string[]) => run("ip", "netns", "exec", netns, ...command),
    };
  });

  let outside: NamespaceCloud["outside"] = null;
  if (external) {
    const netns = `${id}-out`;
    run("ip", "netns", "add", netns);
    run("ip", "-n", netns, "link", "set", "lo", "up");
    run("ip", "link", "add", `${id}ou`, "type", "veth", "peer", "name", "eth0", "netns", netns);
    run("ip", "link", "set", `${id}ou`, "master", externalWire, "up");
    run("ip", "-n", netns, "addr", "add", external.outside, "dev", "eth0");
    run("ip", "-n", netns, "link", "set", "eth0", "up");
    outside = { netns, address: external.outside.split("/")[0]!, exec: (...command) => run("ip", "netns", "exec", netns, ...command) };
  }

  let serverUrl = "";
  const serverUrlOf = () => serverUrl;

  /**
   * A libvirtd of the host's own, in its namespace, with private directories mounted over
   * libvirt's (in a mount namespace of its own): its sockets are reachable from outside at
   * `<dir>/run`.
   */
  async function startLibvirtd(host: NamespaceHost, letter: string): Promise<void> {
    const dir = path.join(workDir, letter);
    cpSync("/etc/libvirt", path.join(dir, "etc"), { recursive: true });
    // Networks and domains of the machine's own libvirtd are not this host's.
    rmSync(path.join(dir, "etc", "qemu"), { recursive: true, force: true });
    mkdirSync(path.join(dir, "etc", "qemu", "networks"), { recursive: true });
    // A host of its own to libvirt too: two daemons with the machine's one UUID refuse to migrate to each other ("the same host").
    appendFileSync(path.join(dir, "etc", "libvirtd.conf"), `\nhost_uuid = "${randomUUID()}"\n`);
    const mounts = [
      ["run", "/run/libvirt"],
      ["lib", "/var/lib/libvirt"],
      ["etc", "/etc/libvirt"],
      ["cache", "/var/cache/libvirt"],
      ["log", "/var/log/libvirt"],
    ]
      .filter(([, target]) => existsSync(target!))
      .map(([source, target]) => `mount --bind ${path.join(dir, source!)} ${target}`);
    // A qemu guest's console and QEMU's own log go through virtlogd, whose socket is in this host's /run/libvirt.
    const virtlogd = guests === "qemu" ? [`virtlogd -d -p ${path.join(dir, "virtlogd.pid")}`] : [];
    const script = ["set -e", "mount --make-rprivate /", ...mounts, ...virtlogd, `exec libvirtd -p ${path.join(dir, "libvirtd.pid")}`].join("\n");
    const daemon = spawn("ip", ["netns", "exec", host.netns, "unshare", "-m", "sh", "-c", script], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    daemon.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    daemons.push(daemon);
    await waitFor(`libvirtd of ${host.hostname}`, () => {
      if (daemon.exitCode !== null) throw new Error(`libvirtd of ${host.hostname} exited: ${stderr}`);
      return run("virsh", "-c", host.libvirtUri, "uri").trim().length > 0;
    });
  }

  /** Synchronous, so that the process's exit handler can run it too. */
  function cleanUp(): void {
    if (closed) return;
    closed = true;
    for (const child of agents.values()) if (child.exitCode === null) child.kill("SIGKILL");
    for (const [index, host] of hosts.entries()) {
      const letter = String.fromCharCode(97 + index);
      // Networks first: libvirtd stops their dnsmasqs.
      try {
        const networks = run("virsh", "-c", host.libvirtUri, "net-list", "--name").split("\n").filter(Boolean);
        for (const network of networks) quiet("virsh", "-c", host.libvirtUri, "net-destroy", network.trim());
      } catch {
        // libvirtd not running.
      }
      // A dnsmasq left by a libvirtd that died: by the pid it wrote.
      const pidDir = path.join(workDir, letter, "run", "network");
      for (const file of existsSync(pidDir) ? readdirSync(pidDir).filter((f) => f.endsWith(".pid")) : []) {
        const pid = Number(readFileSync(path.join(pidDir, file), "utf8").trim());
        if (Number.isInteger(pid) && pid > 1) quiet("kill", String(pid));
      }
    }
    for (const daemon of daemons) if (daemon.exitCode === null) daemon.kill("SIGTERM");
    // The virtlogds (daemonized: by the pid each wrote).
    for (const letter of hosts.map((_, index) => String.fromCharCode(97 + index))) {
      const pidFile = path.join(workDir, letter, "virtlogd.pid");
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").trim()) : 0;
      if (Number.isInteger(pid) && pid > 1) quiet("kill", String(pid));
    }
    // Every namespace of this run: the hosts' and their endpoints'.
    for (const line of run("ip", "netns", "list").split("\n")) {
      const name = line.split(" ")[0];
      if (name?.startsWith(id)) quiet("ip", "netns", "del", name);
    }
    quiet("ip", "link", "del", underlay);
    if (external) quiet("ip", "link", "del", externalWire);
    if (trunk) quiet("ip", "link", "del", trunkWire);
    rmSync(workDir, { recursive: true, force: true });
  }
  process.once("exit", cleanUp);

  return {
    id,
    serverAddress,
    hosts,
    async start(url) {
      serverUrl = url;
      await Promise.all(hosts.map((host, index) => startLibvirtd(host, String.fromCharCode(97 + index))));
      for (const host of hosts) host.startAgent();
    },
    endpointOf: (host, instanceId) => `${host.endpointPrefix}-${instanceId.toLowerCase().replace(/-/g, "").slice(0, 8)}`,
    inEndpoint: (endpoint, ...command) => run("ip", "netns", "exec", endpoint, ...command),
    outside,
    async close() {
      await Promise.all(hosts.map((host) => host.stopAgent()));
      cleanUp();
      // Give the daemons a moment to go; their namespaces are already deleted.
      await Promise.all(
        daemons.map((daemon) =>
          daemon.exitCode !== null
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                const kill = setTimeout(() => daemon.kill("SIGKILL"), 5_000);
                daemon.once("exit", () => {
                  clearTimeout(kill);
                  resolve();
                });
              }),
        ),
      );
      process.removeListener("exit", cleanUp);
    },
  };
}
