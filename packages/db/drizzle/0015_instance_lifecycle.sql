ALTER TYPE "public"."task_state" ADD VALUE 'powering-off';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'powering-on';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'rebooting';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'reboot_pending';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'reboot_started';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'rebooting_hard';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'reboot_pending_hard';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'reboot_started_hard';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'pausing';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'unpausing';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'suspending';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'resuming';--> statement-breakpoint
ALTER TYPE "public"."vm_state" ADD VALUE 'suspended' BEFORE 'error';--> statement-breakpoint
CREATE TABLE "instance_tasks" (
	"instance_id" uuid PRIMARY KEY NOT NULL,
	"action_id" uuid NOT NULL,
	"operation" text NOT NULL,
	"command_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"params" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"previous_vm_state" "vm_state" NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatched_at" timestamp with time zone,
	"acked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "instance_tasks" ADD CONSTRAINT "instance_tasks_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_tasks" ADD CONSTRAINT "instance_tasks_action_id_instance_actions_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."instance_actions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "instance_tasks" ADD CONSTRAINT "instance_tasks_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "instance_tasks_due_idx" ON "instance_tasks" USING btree ("due_at");--> statement-breakpoint
CREATE INDEX "instance_tasks_host_idx" ON "instance_tasks" USING btree ("host_id");