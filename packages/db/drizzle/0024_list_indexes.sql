DROP INDEX "instance_actions_instance_idx";--> statement-breakpoint
CREATE INDEX "instance_action_events_action_idx" ON "instance_action_events" USING btree ("action_id","id");--> statement-breakpoint
CREATE INDEX "instances_project_created_idx" ON "instances" USING btree ("project_id","created_at",(-"launch_index"),"id");--> statement-breakpoint
CREATE INDEX "instances_project_name_idx" ON "instances" USING btree ("project_id","name","id");--> statement-breakpoint
CREATE INDEX "instances_project_status_idx" ON "instances" USING btree ("project_id","vm_state","id");--> statement-breakpoint
CREATE INDEX "instances_created_idx" ON "instances" USING btree ("created_at",(-"launch_index"),"id");--> statement-breakpoint
CREATE INDEX "instances_name_idx" ON "instances" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "instances_status_idx" ON "instances" USING btree ("vm_state","id");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","id");--> statement-breakpoint
CREATE INDEX "instance_actions_instance_idx" ON "instance_actions" USING btree ("instance_id","start_time","id");