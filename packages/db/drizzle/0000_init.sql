CREATE TYPE "public"."role_name" AS ENUM('reader', 'member', 'admin');--> statement-breakpoint
CREATE TYPE "public"."image_status" AS ENUM('queued', 'saving', 'active', 'killed', 'deleted');--> statement-breakpoint
CREATE TYPE "public"."image_visibility" AS ENUM('public', 'private', 'shared');--> statement-breakpoint
CREATE TYPE "public"."power_state" AS ENUM('nostate', 'running', 'paused', 'shutdown', 'crashed', 'suspended');--> statement-breakpoint
CREATE TYPE "public"."task_state" AS ENUM('scheduling', 'networking', 'block_device_mapping', 'spawning', 'deleting');--> statement-breakpoint
CREATE TYPE "public"."vm_state" AS ENUM('building', 'active', 'stopped', 'paused', 'error', 'deleted');--> statement-breakpoint
CREATE TYPE "public"."resource_class" AS ENUM('VCPU', 'MEMORY_MB', 'DISK_GB');--> statement-breakpoint
CREATE TYPE "public"."build_request_status" AS ENUM('pending', 'scheduled', 'dispatched', 'done', 'failed');--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "role_assignments" (
	"user_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"role" "role_name" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "role_assignments_user_id_project_id_pk" PRIMARY KEY("user_id","project_id")
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"project_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"remote_address" "inet",
	"user_agent" text
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"email" text,
	"password_hash" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"default_project_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"password_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "quota_limits" (
	"project_id" uuid NOT NULL,
	"resource" text NOT NULL,
	"hard_limit" integer NOT NULL,
	CONSTRAINT "quota_limits_project_id_resource_pk" PRIMARY KEY("project_id","resource")
);
--> statement-breakpoint
CREATE TABLE "flavors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"vcpus" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"root_gb" integer NOT NULL,
	"ephemeral_gb" integer DEFAULT 0 NOT NULL,
	"swap_mb" integer DEFAULT 0 NOT NULL,
	"is_public" boolean DEFAULT true NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"extra_specs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flavors_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "images" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"status" "image_status" DEFAULT 'queued' NOT NULL,
	"visibility" "image_visibility" DEFAULT 'private' NOT NULL,
	"owner_project_id" uuid,
	"disk_format" text,
	"size_bytes" bigint,
	"checksum_sha256" text,
	"min_ram_mb" integer DEFAULT 0 NOT NULL,
	"min_disk_gb" integer DEFAULT 0 NOT NULL,
	"properties" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "networks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"project_id" uuid,
	"shared" boolean DEFAULT false NOT NULL,
	"cidr" text NOT NULL,
	"gateway_ip" text,
	"mtu" integer DEFAULT 1500 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "compute_hosts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"hostname" text NOT NULL,
	"hypervisor_type" text NOT NULL,
	"hypervisor_uri" text NOT NULL,
	"cpu_model" text DEFAULT '' NOT NULL,
	"vcpus_total" integer NOT NULL,
	"memory_mb_total" integer NOT NULL,
	"disk_gb_total" integer NOT NULL,
	"vcpus_reserved" integer DEFAULT 0 NOT NULL,
	"memory_mb_reserved" integer DEFAULT 0 NOT NULL,
	"disk_gb_reserved" integer DEFAULT 0 NOT NULL,
	"cpu_allocation_ratio" real DEFAULT 4 NOT NULL,
	"ram_allocation_ratio" real DEFAULT 1 NOT NULL,
	"disk_allocation_ratio" real DEFAULT 1 NOT NULL,
	"generation" integer DEFAULT 0 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"disabled_reason" text,
	"agent_session_id" text,
	"agent_version" text,
	"last_heartbeat_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "instance_action_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"action_id" uuid NOT NULL,
	"instance_id" uuid NOT NULL,
	"event" text NOT NULL,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"finish_time" timestamp with time zone,
	"result" text,
	"host" text,
	"details" text
);
--> statement-breakpoint
CREATE TABLE "instance_actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"action" text NOT NULL,
	"request_id" text NOT NULL,
	"user_id" uuid,
	"project_id" uuid NOT NULL,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"finish_time" timestamp with time zone,
	"message" text
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"project_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"flavor_id" uuid NOT NULL,
	"image_id" uuid,
	"network_id" uuid,
	"host_id" uuid,
	"vcpus" integer NOT NULL,
	"memory_mb" integer NOT NULL,
	"root_gb" integer NOT NULL,
	"vm_state" "vm_state" DEFAULT 'building' NOT NULL,
	"task_state" "task_state",
	"power_state" "power_state" DEFAULT 'nostate' NOT NULL,
	"progress" integer DEFAULT 0 NOT NULL,
	"last_report_seq" integer DEFAULT -1 NOT NULL,
	"fault" jsonb,
	"reservation_id" text NOT NULL,
	"launch_index" integer DEFAULT 0 NOT NULL,
	"fixed_ip" text,
	"mac_address" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"launched_at" timestamp with time zone,
	"deleted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "allocations" (
	"instance_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"resource_class" "resource_class" NOT NULL,
	"used" integer NOT NULL,
	CONSTRAINT "allocations_instance_id_host_id_resource_class_pk" PRIMARY KEY("instance_id","host_id","resource_class")
);
--> statement-breakpoint
CREATE TABLE "build_requests" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"status" "build_request_status" DEFAULT 'pending' NOT NULL,
	"attempts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"command_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "role_assignments" ADD CONSTRAINT "role_assignments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_default_project_id_projects_id_fk" FOREIGN KEY ("default_project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quota_limits" ADD CONSTRAINT "quota_limits_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "images" ADD CONSTRAINT "images_owner_project_id_projects_id_fk" FOREIGN KEY ("owner_project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_action_events" ADD CONSTRAINT "instance_action_events_action_id_instance_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."instance_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_action_events" ADD CONSTRAINT "instance_action_events_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_actions" ADD CONSTRAINT "instance_actions_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_actions" ADD CONSTRAINT "instance_actions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_actions" ADD CONSTRAINT "instance_actions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_flavor_id_flavors_id_fk" FOREIGN KEY ("flavor_id") REFERENCES "public"."flavors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_image_id_images_id_fk" FOREIGN KEY ("image_id") REFERENCES "public"."images"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instances" ADD CONSTRAINT "instances_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "build_requests" ADD CONSTRAINT "build_requests_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "role_assignments_project_idx" ON "role_assignments" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id") WHERE "sessions"."revoked_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "compute_hosts_hostname_idx" ON "compute_hosts" USING btree ("hostname");--> statement-breakpoint
CREATE INDEX "instance_action_events_instance_idx" ON "instance_action_events" USING btree ("instance_id","id");--> statement-breakpoint
CREATE INDEX "instance_actions_instance_idx" ON "instance_actions" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "instances_project_idx" ON "instances" USING btree ("project_id","deleted_at");--> statement-breakpoint
CREATE INDEX "instances_host_idx" ON "instances" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "allocations_host_idx" ON "allocations" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "build_requests_due_idx" ON "build_requests" USING btree ("status","due_at");