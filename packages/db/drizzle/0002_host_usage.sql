ALTER TABLE "compute_hosts" ADD COLUMN "vcpus_used" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD COLUMN "memory_mb_used" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD COLUMN "disk_gb_used" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "compute_hosts" h SET
  "vcpus_used" = coalesce((SELECT sum(a."used") FROM "allocations" a WHERE a."host_id" = h."id" AND a."resource_class" = 'VCPU'), 0),
  "memory_mb_used" = coalesce((SELECT sum(a."used") FROM "allocations" a WHERE a."host_id" = h."id" AND a."resource_class" = 'MEMORY_MB'), 0),
  "disk_gb_used" = coalesce((SELECT sum(a."used") FROM "allocations" a WHERE a."host_id" = h."id" AND a."resource_class" = 'DISK_GB'), 0);
