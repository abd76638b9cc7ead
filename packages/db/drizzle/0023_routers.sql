CREATE TABLE "floating_ips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"floating_network_id" uuid NOT NULL,
	"floating_port_id" uuid NOT NULL,
	"floating_ip_address" text NOT NULL,
	"port_id" uuid,
	"router_id" uuid,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "floating_ips_floating_port_id_unique" UNIQUE("floating_port_id"),
	CONSTRAINT "floating_ips_port_id_unique" UNIQUE("port_id")
);
--> statement-breakpoint
CREATE TABLE "router_host_sync" (
	"host_id" uuid PRIMARY KEY NOT NULL,
	"applied_digest" text,
	"sent_digest" text,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "routers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"external_network_id" uuid,
	"enable_snat" boolean DEFAULT true NOT NULL,
	"host_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "router_external" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "network_type" text DEFAULT 'vxlan' NOT NULL;--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "physical_network" text;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD COLUMN "physical_networks" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "device_owner" text;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "router_id" uuid;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_floating_network_id_networks_id_fk" FOREIGN KEY ("floating_network_id") REFERENCES "public"."networks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_floating_port_id_ports_id_fk" FOREIGN KEY ("floating_port_id") REFERENCES "public"."ports"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "floating_ips" ADD CONSTRAINT "floating_ips_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "router_host_sync" ADD CONSTRAINT "router_host_sync_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_external_network_id_networks_id_fk" FOREIGN KEY ("external_network_id") REFERENCES "public"."networks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "routers" ADD CONSTRAINT "routers_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "floating_ips_project_idx" ON "floating_ips" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "routers_project_idx" ON "routers" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "routers_host_idx" ON "routers" USING btree ("host_id");--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_router_id_routers_id_fk" FOREIGN KEY ("router_id") REFERENCES "public"."routers"("id") ON DELETE cascade ON UPDATE no action;