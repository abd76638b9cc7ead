CREATE TABLE "flavor_projects" (
	"flavor_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "flavor_projects_flavor_id_project_id_pk" PRIMARY KEY("flavor_id","project_id")
);
--> statement-breakpoint
ALTER TABLE "flavors" DROP CONSTRAINT "flavors_name_unique";--> statement-breakpoint
ALTER TABLE "flavors" ADD COLUMN "description" text;--> statement-breakpoint
ALTER TABLE "flavors" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flavors" ADD COLUMN "deleted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD COLUMN "number" serial NOT NULL;--> statement-breakpoint
ALTER TABLE "aggregates" ADD COLUMN "number" serial NOT NULL;--> statement-breakpoint
ALTER TABLE "aggregates" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "flavor_projects" ADD CONSTRAINT "flavor_projects_flavor_id_flavors_id_fk" FOREIGN KEY ("flavor_id") REFERENCES "public"."flavors"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "flavor_projects" ADD CONSTRAINT "flavor_projects_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "flavor_projects_project_idx" ON "flavor_projects" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "flavors_name_live_idx" ON "flavors" USING btree ("name") WHERE "flavors"."deleted_at" is null;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD CONSTRAINT "compute_hosts_number_unique" UNIQUE("number");--> statement-breakpoint
ALTER TABLE "aggregates" ADD CONSTRAINT "aggregates_number_unique" UNIQUE("number");