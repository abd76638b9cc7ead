-- Agents number reports epoch × 2^24 + n (an epoch raised at every agent start), past int4.
ALTER TABLE "instances" ALTER COLUMN "last_report_seq" SET DATA TYPE bigint;--> statement-breakpoint
ALTER TABLE "instances" ALTER COLUMN "last_report_seq" SET DEFAULT -1;