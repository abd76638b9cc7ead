CREATE TABLE "host_group_members" (
	"host_id" uuid NOT NULL,
	"group_id" uuid NOT NULL,
	"applied_digest" text,
	"sent_digest" text,
	"sent_at" timestamp with time zone,
	CONSTRAINT "host_group_members_host_id_group_id_pk" PRIMARY KEY("host_id","group_id")
);
--> statement-breakpoint
ALTER TABLE "security_groups" ADD COLUMN "members_digest" text;--> statement-breakpoint
ALTER TABLE "host_group_members" ADD CONSTRAINT "host_group_members_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_group_members" ADD CONSTRAINT "host_group_members_group_id_security_groups_id_fk" FOREIGN KEY ("group_id") REFERENCES "public"."security_groups"("id") ON DELETE cascade ON UPDATE no action;