import type { Database } from "@nimbus/db";
import type { Principal } from "./policy";
import type { IdentitySettings, VlanRanges } from "./settings";
import type { SchedulerSettings } from "./scheduler/select-destinations";
import type {
  CommandAck,
  ConsoleChunk,
  DestroyCommand,
  DownloadProgress,
  GroupMembersCommand,
  InstanceActionCommand,
  NetworkEntriesCommand,
  PortsRefreshCommand,
  RoutersSyncCommand,
  SpawnCommand,
  VncConsoleAck,
  VncConsoleCommand,
  VolumeDeleteCommand,
} from "./protocol/agent";
import type { HostChanged, InstanceUpdates, NetworkChanged } from "./protocol/browser";

/** Where committed changes are announced (socket.io in the web app). Called after commit only. */
export interface Publisher {
  /** A committed change's events and instance states, for the project's viewers (and the states for cloud admins). */
  instanceUpdates(projectId: string, updates: InstanceUpdates): void;
  hostChanged(change: HostChanged): void;
  /** A project's networks, subnets, routers or floating IPs changed, for the project's viewers. */
  networkChanged?(change: NetworkChanged): void;
  /** A piece of a guest's serial console, for the project's viewers. */
  instanceConsole?(chunk: ConsoleChunk & { projectId: string }): void;
  /** Image download progress of a build, for the project's viewers. */
  instanceDownload?(progress: DownloadProgress & { projectId: string }): void;
  /**
   * A user was disabled, lost a role or changed their password: drop their live connections now,
   * on every web process, but those of the session `keepSessionTokenHash` (the one that changed
   * the password).
   */
  userCutOff?(userId: string, keepSessionTokenHash?: string): void;
  /** A browser session ended (sign-out): drop the sockets opened with it, on every web process. */
  sessionEnded?(sessionTokenHash: string): void;
  /** An API token was revoked: drop the sockets opened with it, on every web process. */
  apiTokenRevoked?(tokenId: string): void;
}

/** How the server reaches a compute agent. Rejects with AgentUnavailable when no ack arrives. */
export interface AgentGateway {
  spawn(hostId: string, command: SpawnCommand): Promise<CommandAck>;
  destroy(hostId: string, command: DestroyCommand): Promise<CommandAck>;
  /** An action on an existing instance (stop, start, reboot, …): acknowledged at once, reported on later. */
  act(hostId: string, command: InstanceActionCommand): Promise<CommandAck>;
  /** Deletes a detached volume's bits on the host that holds them (Cinder's delete on a host-local backend). */
  deleteVolume(hostId: string, command: VolumeDeleteCommand): Promise<CommandAck>;
  /** Re-applies changed security group rules to ports on the host (`ports.refresh`). */
  refreshPorts(hostId: string, command: PortsRefreshCommand): Promise<CommandAck>;
  /** A remote security group's members as they are now (`group.members`). */
  replaceGroupMembers(hostId: string, command: GroupMembersCommand): Promise<CommandAck>;
  /** A network's forwarding entries of other hosts' ports, or what changed in them (`network.entries`). */
  networkEntries(hostId: string, command: NetworkEntriesCommand): Promise<CommandAck>;
  /** Every router the host is to run, as it should be (`routers.sync`). */
  syncRouters(hostId: string, command: RoutersSyncCommand): Promise<CommandAck>;
  /** Where an instance's graphical console listens (`instance.vnc`). */
  vncConsole(hostId: string, command: VncConsoleCommand): Promise<VncConsoleAck>;
  /** Drops every connection of the agent of `hostname` (credential revoked). */
  disconnect?(hostname: string): Promise<void>;
}

/**
 * What core counts for operators that no database row records (the web app exports it as
 * Prometheus metrics). Optional: tests and tools run without it.
 */
export interface Telemetry {
  /** A build found no valid host; `filter` returned no hosts (null: there were no hosts to filter). */
  noValidHost(filter: string | null): void;
}

export interface Services {
  db: Database;
  publisher: Publisher;
  agents: AgentGateway;
  /** Wakes the conductor after new build requests were committed. */
  buildRequested(): void;
  /** Glance's filesystem store: an active image's bits are `<imageStoreDir>/<id>`. */
  imageStoreDir: string;
  /** A build that makes no progress for this long goes to ERROR. */
  buildTimeoutMs: number;
  /**
   * An action on an instance (stop, reboot, …) the host acknowledged but has not finished this
   * long after (beyond its graceful shutdown time) fails back to the instance's true state.
   */
  actionTimeoutMs: number;
  /** How long a guest has to shut down by itself on stop and soft reboot before it is forced (Nova's shutdown_timeout). */
  shutdownTimeoutSeconds: number;
  /** Hosts tried per instance before ERROR (the chosen one plus alternates). */
  maxAttempts: number;
  /** Whether a resize may stay on the instance's own host (Nova's allow_resize_to_same_host; default true). */
  allowResizeToSameHost?: boolean;
  /** A resize or migration left in VERIFY_RESIZE this long is confirmed by the system (Nova's resize_confirm_window; 0: never). */
  resizeConfirmWindowMs?: number;
  /** A host is shown down when its last heartbeat is older than this. */
  hostDownAfterMs: number;
  /** A host whose agent's connection closed stays up this long for it to reconnect (≤ hostDownAfterMs). */
  hostReconnectGraceMs: number;
  /** An image upload whose web process stopped refreshing it this long ago is given up. */
  uploadStallMs: number;
  /** A console token unused this long is worth nothing (Nova's `[consoleauth] token_ttl`, 10 minutes unless set). */
  consoleTokenTtlMs?: number;
  scheduler?: SchedulerSettings;
  identity?: IdentitySettings;
  /**
   * VLAN ids per physical network that a vlan network may be given when its creator names none
   * (Neutron's `network_vlan_ranges`, the web app's NIMBUS_NETWORK_VLAN_RANGES); unset: none.
   */
  networkVlanRanges?: VlanRanges;
  telemetry?: Telemetry;
}

/**
 * What a caller authenticated with: a browser session (known by its token's SHA-256) or a
 * script's API token (by its id). A live connection remembers it, so the credential's end
 * (sign-out, revocation, expiry, a password change) ends the connection too.
 */
export type Credential = { kind: "session"; tokenHash: string } | { kind: "api_token"; id: string };

export interface CoreContext extends Services {
  principal: Principal | null;
  /**
   * The credential `principal` comes from, when the caller has one; a verb that opens something
   * live (a graphical console) ties it to this, so that it ends when the credential does.
   */
  credential?: Credential | null;
  requestId: string;
  remoteAddress: string | null;
}
