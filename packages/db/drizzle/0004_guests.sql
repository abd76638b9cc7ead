CREATE TYPE "public"."port_status" AS ENUM('DOWN', 'BUILD', 'ACTIVE');--> statement-breakpoint
CREATE TYPE "public"."security_group_rule_direction" AS ENUM('ingress', 'egress');--> statement-breakpoint
CREATE TYPE "public"."volume_status" AS ENUM('creating', 'available', 'reserved', 'in-use', 'deleting', 'error', 'error_deleting');--> statement-breakpoint
CREATE TABLE "image_members" (
	"image_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "image_members_image_id_project_id_pk" PRIMARY KEY("image_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "instance_console_chunks" (
	"instance_id" uuid NOT NULL,
	"offset" bigint NOT NULL,
	"data" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "instance_console_chunks_instance_id_offset_pk" PRIMARY KEY("instance_id","offset")
);
--> statement-breakpoint
CREATE TABLE "port_security_groups" (
	"port_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	CONSTRAINT "port_security_groups_port_id_group_id_pk" PRIMARY KEY("port_id","group_id")
);
--> statement-breakpoint
CREATE TABLE "ports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network_id" uuid NOT NULL,
	"subnet_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"instance_id" uuid,
	"mac_address" text NOT NULL,
	"ip_address" text NOT NULL,
	"status" "port_status" DEFAULT 'DOWN' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_group_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"group_id" uuid NOT NULL,
	"direction" "security_group_rule_direction" NOT NULL,
	"ethertype" text DEFAULT 'IPv4' NOT NULL,
	"protocol" text,
	"port_range_min" integer,
	"port_range_max" integer,
	"remote_ip_prefix" text,
	"remote_group_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "security_groups" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "subnets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"network_id" uuid NOT NULL,
	"project_id" uuid,
	"name" text NOT NULL,
	"cidr" text NOT NULL,
	"gateway_ip" text,
	"allocation_pools" jsonb NOT NULL,
	"dns_nameservers" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"enable_dhcp" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "key_pairs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text DEFAULT 'ssh' NOT NULL,
	"public_key" text NOT NULL,
	"fingerprint" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "volume_attachments" (
	"volume_id" uuid PRIMARY KEY NOT NULL,
	"instance_id" uuid NOT NULL,
	"boot_index" integer,
	"device" text NOT NULL,
	"delete_on_termination" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "volumes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"size_gb" integer NOT NULL,
	"status" "volume_status" DEFAULT 'available' NOT NULL,
	"image_id" uuid,
	"bootable" boolean DEFAULT false NOT NULL,
	"host_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "container_format" text DEFAULT 'bare' NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "virtual_size_bytes" bigint;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "protected" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "key_name" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "key_data" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "user_data" text;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "config_drive" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "instances" ADD COLUMN "guest_booted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "image_members" ADD CONSTRAINT "image_members_image_id_images_id_fk" FOREIGN KEY ("image_id") REFERENCES "public"."images"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "image_members" ADD CONSTRAINT "image_members_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_console_chunks" ADD CONSTRAINT "instance_console_chunks_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "port_security_groups" ADD CONSTRAINT "port_security_groups_port_id_ports_id_fk" FOREIGN KEY ("port_id") REFERENCES "public"."ports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "port_security_groups" ADD CONSTRAINT "port_security_groups_group_id_security_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."security_groups"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_subnet_id_subnets_id_fk" FOREIGN KEY ("subnet_id") REFERENCES "public"."subnets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ports" ADD CONSTRAINT "ports_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_group_rules" ADD CONSTRAINT "security_group_rules_group_id_security_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."security_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_group_rules" ADD CONSTRAINT "security_group_rules_remote_group_id_security_groups_id_fk" FOREIGN KEY ("remote_group_id") REFERENCES "public"."security_groups"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "security_groups" ADD CONSTRAINT "security_groups_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "subnets" ADD CONSTRAINT "subnets_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "key_pairs" ADD CONSTRAINT "key_pairs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volume_attachments" ADD CONSTRAINT "volume_attachments_volume_id_volumes_id_fk" FOREIGN KEY ("volume_id") REFERENCES "public"."volumes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volume_attachments" ADD CONSTRAINT "volume_attachments_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_image_id_images_id_fk" FOREIGN KEY ("image_id") REFERENCES "public"."images"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "volumes" ADD CONSTRAINT "volumes_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "port_security_groups_group_idx" ON "port_security_groups" USING btree ("group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ports_subnet_ip_idx" ON "ports" USING btree ("subnet_id","ip_address");--> statement-breakpoint
CREATE UNIQUE INDEX "ports_mac_idx" ON "ports" USING btree ("mac_address");--> statement-breakpoint
CREATE INDEX "ports_instance_idx" ON "ports" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "security_group_rules_group_idx" ON "security_group_rules" USING btree ("group_id");--> statement-breakpoint
CREATE UNIQUE INDEX "security_groups_project_name_idx" ON "security_groups" USING btree ("project_id","name");--> statement-breakpoint
CREATE INDEX "subnets_network_idx" ON "subnets" USING btree ("network_id");--> statement-breakpoint
CREATE UNIQUE INDEX "key_pairs_user_name_idx" ON "key_pairs" USING btree ("user_id","name");--> statement-breakpoint
CREATE INDEX "volume_attachments_instance_idx" ON "volume_attachments" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "volumes_project_idx" ON "volumes" USING btree ("project_id");--> statement-breakpoint
-- Each existing network's addressing becomes its first subnet: pool = every host address but the gateway's.
INSERT INTO "subnets" ("network_id", "project_id", "name", "cidr", "gateway_ip", "allocation_pools")
SELECT "id", "project_id", "name" || '-subnet', "cidr", "gateway_ip",
  jsonb_build_array(jsonb_build_object('start', host(network("cidr"::inet) + 2), 'end', host(broadcast("cidr"::inet) - 1)))
FROM "networks";--> statement-breakpoint
ALTER TABLE "networks" DROP COLUMN "cidr";--> statement-breakpoint
ALTER TABLE "networks" DROP COLUMN "gateway_ip";