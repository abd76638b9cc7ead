ALTER TABLE "ports" ADD COLUMN "filter_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "filter_applied_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "ports" ADD COLUMN "filter_sent_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "ports_filter_behind_idx" ON "ports" USING btree ("id") WHERE "ports"."filter_generation" > "ports"."filter_applied_generation";