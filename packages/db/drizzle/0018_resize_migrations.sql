CREATE TYPE "public"."migration_status" AS ENUM('pre-migrating', 'migrating', 'finished', 'confirming', 'confirmed', 'reverting', 'reverted', 'error', 'accepted', 'done', 'completed', 'failed');--> statement-breakpoint
CREATE TYPE "public"."migration_type" AS ENUM('resize', 'migration', 'evacuation');--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_prep';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_migrating';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_migrated';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_finish';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_reverting';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resize_confirming';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'rebuilding';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'rebuild_spawning';--> statement-breakpoint
ALTER TYPE "public"."vm_state" ADD VALUE 'resized' BEFORE 'error';--> statement-breakpoint
CREATE TABLE "migrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"instance_id" uuid NOT NULL,
	"migration_type" "migration_type" NOT NULL,
	"status" "migration_status" NOT NULL,
	"source_host_id" uuid,
	"dest_host_id" uuid,
	"old_flavor_id" uuid,
	"new_flavor_id" uuid,
	"old_vcpus" integer NOT NULL,
	"old_memory_mb" integer NOT NULL,
	"old_root_gb" integer NOT NULL,
	"new_vcpus" integer NOT NULL,
	"new_memory_mb" integer NOT NULL,
	"new_root_gb" integer NOT NULL,
	"old_vm_state" "vm_state" NOT NULL,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "allocations" DROP CONSTRAINT "allocations_instance_id_host_id_resource_class_pk";--> statement-breakpoint
ALTER TABLE "allocations" ADD COLUMN "migration_id" uuid;--> statement-breakpoint
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_source_host_id_compute_hosts_id_fk" FOREIGN KEY ("source_host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_dest_host_id_compute_hosts_id_fk" FOREIGN KEY ("dest_host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_old_flavor_id_flavors_id_fk" FOREIGN KEY ("old_flavor_id") REFERENCES "public"."flavors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "migrations" ADD CONSTRAINT "migrations_new_flavor_id_flavors_id_fk" FOREIGN KEY ("new_flavor_id") REFERENCES "public"."flavors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "migrations_instance_idx" ON "migrations" USING btree ("instance_id","created_at");--> statement-breakpoint
CREATE INDEX "migrations_status_idx" ON "migrations" USING btree ("status","finished_at");--> statement-breakpoint
CREATE INDEX "migrations_source_idx" ON "migrations" USING btree ("source_host_id","status");--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_migration_id_migrations_id_fk" FOREIGN KEY ("migration_id") REFERENCES "public"."migrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "allocations" ADD CONSTRAINT "allocations_consumer_unique" UNIQUE NULLS NOT DISTINCT("instance_id","migration_id","host_id","resource_class");