ALTER TYPE "public"."task_state" ADD VALUE 'image_snapshot';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'image_pending_upload';--> statement-breakpoint
ALTER TYPE "public"."task_state" ADD VALUE 'image_uploading';