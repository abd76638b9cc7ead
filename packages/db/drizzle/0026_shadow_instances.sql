CREATE TABLE "shadow_instances" (
	"id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deleted_at" timestamp with time zone,
	"archived_at" timestamp with time zone DEFAULT now() NOT NULL,
	"instance" jsonb NOT NULL,
	"actions" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "shadow_instances_project_deleted_idx" ON "shadow_instances" USING btree ("project_id","deleted_at","id");--> statement-breakpoint
CREATE INDEX "shadow_instances_deleted_idx" ON "shadow_instances" USING btree ("deleted_at","id");--> statement-breakpoint
CREATE INDEX "instances_deleted_idx" ON "instances" USING btree ("deleted_at","id") WHERE "instances"."vm_state" = 'deleted';