import { relations, sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { networks } from "./catalog";
import { projects } from "./identity";
import { instances } from "./instance";
import { computeHosts } from "./compute";

export interface AllocationPool {
  start: string;
  end: string;
}

/** Neutron subnets (IPv4): the addresses a network hands out and how guests are configured. */
export const subnets = pgTable(
  "subnets",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    cidr: text("cidr").notNull(),
    gatewayIp: text("gateway_ip"),
    allocationPools: jsonb("allocation_pools").$type<AllocationPool[]>().notNull(),
    dnsNameservers: jsonb("dns_nameservers").$type<string[]>().notNull().default([]),
    enableDhcp: boolean("enable_dhcp").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("subnets_network_idx").on(t.networkId)],
);

export const portStatus = pgEnum("port_status", ["DOWN", "BUILD", "ACTIVE"]);

/**
 * Neutron ports: a MAC (fa:16:3e:…) and a fixed IP on a subnet. The unique index on
 * (subnet, address) is what makes an address impossible to hand out twice, however many
 * launches race for it.
 */
export const ports = pgTable(
  "ports",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    networkId: uuid("network_id")
      .notNull()
      .references(() => networks.id, { onDelete: "cascade" }),
    subnetId: uuid("subnet_id")
      .notNull()
      .references(() => subnets.id, { onDelete: "cascade" }),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** The instance the port is bound to (Neutron's device_id); null when free-standing. */
    instanceId: uuid("instance_id").references(() => instances.id, { onDelete: "set null" }),
    macAddress: text("mac_address").notNull(),
    ipAddress: text("ip_address").notNull(),
    status: portStatus("status").notNull().default("DOWN"),
    /**
     * Firewall freshness on the host: raised when a rule of one of the port's groups changes;
     * the host acknowledged the port's filter as of `filterAppliedGeneration`. A port behind is
     * sent its filter again (`filterSentAt` keeps two web processes from sending it twice).
     */
    filterGeneration: integer("filter_generation").notNull().default(0),
    filterAppliedGeneration: integer("filter_applied_generation").notNull().default(0),
    filterSentAt: timestamp("filter_sent_at", { withTimezone: true }),
    /**
     * Neutron's device_owner for ports that are not an instance's: `network:router_interface`
     * (a subnet's gateway address on a router), `network:router_gateway` (a router's address on
     * an external network) or `network:floatingip` (a floating IP's address); null: an instance's.
     */
    deviceOwner: text("device_owner"),
    /** The router a router_interface or router_gateway port belongs to (Neutron's device_id). */
    routerId: uuid("router_id").references((): AnyPgColumn => routers.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("ports_subnet_ip_idx").on(t.subnetId, t.ipAddress),
    uniqueIndex("ports_mac_idx").on(t.macAddress),
    index("ports_instance_idx").on(t.instanceId),
    // The port list's keyset orders (core's ports list), per project.
    index("ports_project_created_idx").on(t.projectId, t.createdAt, t.id),
    index("ports_project_ip_idx").on(t.projectId, t.ipAddress, t.id),
    index("ports_project_status_idx").on(t.projectId, t.status, t.id),
    // Only ports whose filter is behind: the sweep's read stays small however many ports exist.
    index("ports_filter_behind_idx").on(t.id).where(sql`${t.filterGeneration} > ${t.filterAppliedGeneration}`),
  ],
);

/** Neutron security groups; every project gets a `default` one (all egress, ingress from itself). */
export const securityGroups = pgTable(
  "security_groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /**
     * A digest of the member addresses as of the last time ports whose protocol rules name this
     * group as their remote were sent their filters again (the sweep writes it, launches do not).
     */
    membersDigest: text("members_digest"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("security_groups_project_name_idx").on(t.projectId, t.name)],
);

export const ruleDirection = pgEnum("security_group_rule_direction", ["ingress", "egress"]);

export const securityGroupRules = pgTable(
  "security_group_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    groupId: uuid("group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "cascade" }),
    direction: ruleDirection("direction").notNull(),
    ethertype: text("ethertype").notNull().default("IPv4"),
    /** tcp, udp or icmp; null for any protocol. */
    protocol: text("protocol"),
    portRangeMin: integer("port_range_min"),
    portRangeMax: integer("port_range_max"),
    /** A CIDR the rule matches; null with remoteGroupId null means anywhere. */
    remoteIpPrefix: text("remote_ip_prefix"),
    /** Matches traffic from (or to) ports in this group. */
    remoteGroupId: uuid("remote_group_id").references(() => securityGroups.id, { onDelete: "cascade" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("security_group_rules_group_idx").on(t.groupId)],
);

/** Which security groups apply to a port. */
export const portSecurityGroups = pgTable(
  "port_security_groups",
  {
    portId: uuid("port_id")
      .notNull()
      .references(() => ports.id, { onDelete: "cascade" }),
    groupId: uuid("group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "restrict" }),
    /**
     * The port's IPv4 address as a number, copied from the port by the database on insert
     * (migration 0008; a port's address never changes), so a remote group's member addresses
     * come from this table's index alone, in order: a project's default group holds every port
     * the project has, and every spawn of one of its instances reads them.
     */
    address: bigint("address", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.portId, t.groupId] }), index("port_security_groups_members_idx").on(t.groupId, t.address)],
);

/**
 * The member set of a remote security group that a host keeps (an ipset the port filters name),
 * and which members it has: a digest of the member addresses it acknowledged, and of those
 * last sent (with when), so a change is sent once and sent again only when not acknowledged.
 */
export const hostGroupMembers = pgTable(
  "host_group_members",
  {
    hostId: uuid("host_id")
      .notNull()
      .references(() => computeHosts.id, { onDelete: "cascade" }),
    groupId: uuid("group_id")
      .notNull()
      .references(() => securityGroups.id, { onDelete: "cascade" }),
    appliedDigest: text("applied_digest"),
    sentDigest: text("sent_digest"),
    sentAt: timestamp("sent_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.hostId, t.groupId] })],
);

/**
 * Neutron's routers (L3): a project's router routes between the subnets attached to it (each
 * subnet's gateway address is a `network:router_interface` port of it) and, with a gateway on
 * an external network (a `network:router_gateway` port there), SNATs their traffic out and
 * DNATs its floating IPs in. It runs on one host (`hostId`, legacy centralised routing, chosen
 * as Neutron's L3 agent scheduler chooses an agent), as a network namespace the host's agent builds.
 */
export const routers = pgTable(
  "routers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    /** The external network of its gateway; null: no gateway (the router routes between its subnets only). */
    externalNetworkId: uuid("external_network_id").references(() => networks.id),
    enableSnat: boolean("enable_snat").notNull().default(true),
    /** The host it runs on; null: not scheduled (no host could take it yet). */
    hostId: uuid("host_id").references(() => computeHosts.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("routers_project_idx").on(t.projectId), index("routers_host_idx").on(t.hostId)],
);

/**
 * Neutron's floating IPs: an address of an external network's subnet (held by a
 * `network:floatingip` port, so IPAM's unique index guards it), associated with at most one
 * port of the project, whose fixed address the router of its network DNATs it to (1:1).
 */
export const floatingIps = pgTable(
  "floating_ips",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    floatingNetworkId: uuid("floating_network_id")
      .notNull()
      .references(() => networks.id),
    /** The port holding the address on the external network. */
    floatingPortId: uuid("floating_port_id")
      .notNull()
      .unique()
      .references(() => ports.id),
    floatingIpAddress: text("floating_ip_address").notNull(),
    /** The associated port (null: not associated); its deletion disassociates. */
    portId: uuid("port_id")
      .unique()
      .references(() => ports.id, { onDelete: "set null" }),
    /** The router that DNATs it, as of its association (meaningful while `portId` is set). */
    routerId: uuid("router_id").references(() => routers.id, { onDelete: "set null" }),
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("floating_ips_project_idx").on(t.projectId)],
);

/**
 * What each host's agent has of the routers it runs: the digest of the router list it
 * acknowledged (null: none since it registered, so it is sent the list), and of the list last
 * sent, with when (sent again when not acknowledged in time).
 */
export const routerHostSync = pgTable("router_host_sync", {
  hostId: uuid("host_id")
    .primaryKey()
    .references(() => computeHosts.id, { onDelete: "cascade" }),
  appliedDigest: text("applied_digest"),
  sentDigest: text("sent_digest"),
  sentAt: timestamp("sent_at", { withTimezone: true }),
});

export const subnetsRelations = relations(subnets, ({ one, many }) => ({
  network: one(networks, { fields: [subnets.networkId], references: [networks.id] }),
  ports: many(ports),
}));
export const portsRelations = relations(ports, ({ one, many }) => ({
  network: one(networks, { fields: [ports.networkId], references: [networks.id] }),
  subnet: one(subnets, { fields: [ports.subnetId], references: [subnets.id] }),
  instance: one(instances, { fields: [ports.instanceId], references: [instances.id] }),
  securityGroups: many(portSecurityGroups),
}));
export const securityGroupsRelations = relations(securityGroups, ({ many }) => ({
  rules: many(securityGroupRules, { relationName: "rules" }),
}));
export const securityGroupRulesRelations = relations(securityGroupRules, ({ one }) => ({
  group: one(securityGroups, { fields: [securityGroupRules.groupId], references: [securityGroups.id], relationName: "rules" }),
}));
export const portSecurityGroupsRelations = relations(portSecurityGroups, ({ one }) => ({
  port: one(ports, { fields: [portSecurityGroups.portId], references: [ports.id] }),
  group: one(securityGroups, { fields: [portSecurityGroups.groupId], references: [securityGroups.id] }),
}));

/** Rows as drizzle selects them, one type per table. */
export type SubnetRow = typeof subnets.$inferSelect;
export type PortRow = typeof ports.$inferSelect;
export type SecurityGroupRow = typeof securityGroups.$inferSelect;
export type SecurityGroupRuleRow = typeof securityGroupRules.$inferSelect;
export type PortSecurityGroupRow = typeof portSecurityGroups.$inferSelect;
export type HostGroupMemberRow = typeof hostGroupMembers.$inferSelect;
export type RouterRow = typeof routers.$inferSelect;
export type FloatingIpRow = typeof floatingIps.$inferSelect;
