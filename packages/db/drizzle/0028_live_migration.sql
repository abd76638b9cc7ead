ALTER TYPE "public"."task_state" ADD VALUE 'migrating';--> statement-breakpoint
ALTER TYPE "public"."migration_status" ADD VALUE 'preparing';--> statement-breakpoint
ALTER TYPE "public"."migration_status" ADD VALUE 'running';--> statement-breakpoint
ALTER TYPE "public"."migration_type" ADD VALUE 'live-migration';