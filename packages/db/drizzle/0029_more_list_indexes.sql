DROP INDEX "volumes_project_idx";--> statement-breakpoint
CREATE INDEX "users_created_idx" ON "users" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "images_name_idx" ON "images" USING btree ("name","created_at","id");--> statement-breakpoint
CREATE INDEX "images_created_idx" ON "images" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "networks_name_idx" ON "networks" USING btree ("name","created_at","id");--> statement-breakpoint
CREATE INDEX "networks_created_idx" ON "networks" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "ports_project_created_idx" ON "ports" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "ports_project_ip_idx" ON "ports" USING btree ("project_id","ip_address","id");--> statement-breakpoint
CREATE INDEX "ports_project_status_idx" ON "ports" USING btree ("project_id","status","id");--> statement-breakpoint
CREATE INDEX "key_pairs_user_created_idx" ON "key_pairs" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "volumes_project_name_idx" ON "volumes" USING btree ("project_id","name","created_at","id");--> statement-breakpoint
CREATE INDEX "volumes_project_created_idx" ON "volumes" USING btree ("project_id","created_at","id");--> statement-breakpoint
CREATE INDEX "volumes_name_idx" ON "volumes" USING btree ("name","created_at","id");--> statement-breakpoint
CREATE INDEX "volumes_created_idx" ON "volumes" USING btree ("created_at","id");