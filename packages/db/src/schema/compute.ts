import { relations } from "drizzle-orm";
import { boolean, integer, jsonb, pgTable, real, serial, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * A compute host is also a placement resource provider: its inventory (totals, reserved,
 * allocation ratios) lives here and its usage is the sum of `allocations` against it.
 * `generation` is bumped by every claim so concurrent claims compare-and-swap.
 */
export const computeHosts = pgTable(
  "compute_hosts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /**
     * The host's number: the id Nova's compute API gives its compute service and hypervisor
     * below microversion 2.53 (from 2.53 on they are named by `id`).
     */
    number: serial("number").notNull().unique(),
    hostname: text("hostname").notNull(),
    hypervisorType: text("hypervisor_type").notNull(),
    hypervisorUri: text("hypervisor_uri").notNull(),
    cpuModel: text("cpu_model").notNull().default(""),
    vcpusTotal: integer("vcpus_total").notNull(),
    memoryMbTotal: integer("memory_mb_total").notNull(),
    diskGbTotal: integer("disk_gb_total").notNull(),
    vcpusReserved: integer("vcpus_reserved").notNull().default(0),
    memoryMbReserved: integer("memory_mb_reserved").notNull().default(0),
    diskGbReserved: integer("disk_gb_reserved").notNull().default(0),
    cpuAllocationRatio: real("cpu_allocation_ratio").notNull().default(4),
    ramAllocationRatio: real("ram_allocation_ratio").notNull().default(1),
    diskAllocationRatio: real("disk_allocation_ratio").notNull().default(1),
    /**
     * Placement usage per resource class: the sum of this host's allocations, kept in step with
     * them in the same transaction (claim and release are the only writers), so the scheduler
     * reads candidates from one indexed table instead of aggregating every allocation.
     */
    vcpusUsed: integer("vcpus_used").notNull().default(0),
    memoryMbUsed: integer("memory_mb_used").notNull().default(0),
    diskGbUsed: integer("disk_gb_used").notNull().default(0),
    generation: integer("generation").notNull().default(0),
    /** Consecutive failed builds (BuildFailureWeigher); reset by a successful one. */
    failedBuilds: integer("failed_builds").notNull().default(0),
    enabled: boolean("enabled").notNull().default(true),
    disabledReason: text("disabled_reason"),
    /** Id of the socket.io connection currently serving this host, null when none. */
    agentSessionId: text("agent_session_id"),
    agentVersion: text("agent_version"),
    /**
     * The IPv4 address this host's VXLAN tunnels start and end at (the agent reports it when it
     * registers; null: an agent that has none, whose tenant networks stay on the host).
     */
    tunnelAddress: text("tunnel_address"),
    /**
     * The provider physical networks this host has a bridge for (the agent's NIMBUS_PHYSNETS,
     * reported when it registers): a router whose gateway is on a flat external network of one
     * of them may run here.
     */
    physicalNetworks: jsonb("physical_networks").$type<string[]>().notNull().default([]),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("compute_hosts_hostname_idx").on(t.hostname)],
);

export const computeHostsRelations = relations(computeHosts, () => ({}));

/** Rows as drizzle selects them, one type per table. */
export type ComputeHostRow = typeof computeHosts.$inferSelect;
