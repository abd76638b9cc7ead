-- Glance's image members: a share is an offer the member project accepts or rejects, and only an
-- accepted member sees the image. Shares made before this were made without the member's consent,
-- so they become pending too (the member's console lists them to accept). Members are project ids
-- as in Glance, not checked against the projects: sharing reveals nothing about which exist.
CREATE TYPE "public"."image_member_status" AS ENUM('pending', 'accepted', 'rejected');--> statement-breakpoint
ALTER TABLE "image_members" DROP CONSTRAINT "image_members_project_id_projects_id_fk";
--> statement-breakpoint
ALTER TABLE "image_members" ADD COLUMN "status" "image_member_status" DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "image_members" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
CREATE INDEX "image_members_project_idx" ON "image_members" USING btree ("project_id");