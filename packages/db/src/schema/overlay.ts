import { bigint, boolean, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { networks } from "./catalog";
import { computeHosts } from "./compute";

/**
 * The forwarding entries of the overlay as last published to the hosts (Neutron's l2population):
 * one row per port bound to a host that has a tunnel address, its MAC and IP reached through
 * that host's tunnel address. Only the network entry sweep writes it: each sweep compares it
 * with the ports as they are, and every row it adds, changes or marks `removed` gets that
 * sweep's `revision` (one sequence, drawn under the sweep's lock, so revisions rise in commit
 * order). A host that has applied a network's entries up to revision r is sent only the rows
 * above r. A removed row (a tombstone) stays until every host of its network has applied it.
 */
export const networkEntries = pgTable(
  "network_entries",
  {
    /** The port's id; no foreign key: the row outlives the port as its tombstone. */
    portId: uuid("port_id").primaryKey(),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    macAddress: text("mac_address").notNull(),
    ipAddress: text("ip_address").notNull(),
    /** The host the port is on, and that host's tunnel address (the VXLAN destination). */
    hostId: uuid("host_id").notNull(),
    tunnelAddress: text("tunnel_address").notNull(),
    removed: boolean("removed").notNull().default(false),
    revision: bigint("revision", { mode: "number" }).notNull(),
  },
  (t) => [index("network_entries_network_revision_idx").on(t.networkId, t.revision)],
);

/**
 * Networks whose forwarding entries may have changed, written by triggers (migration 0018) as a
 * port is made or deleted, as an instance changes host or is deleted, and as a host's tunnel
 * address changes, and by a host's registration: the sweep compares only these networks' ports
 * with what it published, and takes the rows it read. Append-only between sweeps, so launches
 * never wait on each other here.
 */
export const networkEntryChanges = pgTable("network_entry_changes", {
  id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
  /** No foreign key: a deleted network's change is read once and comes to nothing. */
  networkId: uuid("network_id").notNull(),
});

/**
 * Which hosts have which networks (a port bound there), and how far each has applied the
 * network's entries: `appliedRevision` as the host acknowledged it (-1: never, so it is sent the
 * whole list, which it applies in place of what it has), `sentRevision` and `sentAt` as last
 * sent (sent again when not acknowledged in time). Rows of a host are forgotten when its agent
 * registers again (its kernel state may be gone), so it is sent every network's list afresh.
 */
export const hostNetworkEntries = pgTable(
  "host_network_entries",
  {
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id, { onDelete: "cascade" }),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    appliedRevision: bigint("applied_revision", { mode: "number" }).notNull().default(-1),
    sentRevision: bigint("sent_revision", { mode: "number" }),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.networkId] }), index("host_network_entries_network_idx").on(t.networkId)],
);

/**
 * Segmentation ids (VNIs) of deleted networks, with when they were released: a host that was
 * away when the network went may still carry its VXLAN device and forwarding entries, so the id
 * is not given to another network until its quarantine is over (written by a trigger on
 * networks, read by `nimbus_allocate_vni`, migration 0018).
 */
export const releasedSegments = pgTable("released_segments", {
  segmentationId: integer("segmentation_id").primaryKey(),
  releasedAt: timestamp("released_at", { withTimezone: true }).notNull().defaultNow(),
});

/** Rows as drizzle selects them, one type per table. */
export type NetworkEntryRow = typeof networkEntries.$inferSelect;
export type HostNetworkEntryRow = typeof hostNetworkEntries.$inferSelect;
export type ReleasedSegmentRow = typeof releasedSegments.$inferSelect;
export type NetworkEntryChangeRow = typeof networkEntryChanges.$inferSelect;
