CREATE TYPE "public"."console_credential_kind" AS ENUM('session', 'api_token');--> statement-breakpoint
CREATE TABLE "console_auth_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"protocol" text NOT NULL,
	"instance_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"host_id" uuid NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"user_id" uuid NOT NULL,
	"credential_kind" "console_credential_kind" NOT NULL,
	"session_token_hash" text,
	"api_token_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "console_auth_tokens_token_hash_unique" UNIQUE("token_hash"),
	CONSTRAINT "console_auth_tokens_credential" CHECK (("console_auth_tokens"."credential_kind" = 'session' and "console_auth_tokens"."session_token_hash" is not null) or ("console_auth_tokens"."credential_kind" = 'api_token' and "console_auth_tokens"."api_token_id" is not null))
);
--> statement-breakpoint
ALTER TABLE "console_auth_tokens" ADD CONSTRAINT "console_auth_tokens_instance_id_instances_id_fk" FOREIGN KEY ("instance_id") REFERENCES "public"."instances"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_auth_tokens" ADD CONSTRAINT "console_auth_tokens_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_auth_tokens" ADD CONSTRAINT "console_auth_tokens_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_auth_tokens" ADD CONSTRAINT "console_auth_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "console_auth_tokens" ADD CONSTRAINT "console_auth_tokens_api_token_id_api_tokens_id_fk" FOREIGN KEY ("api_token_id") REFERENCES "public"."api_tokens"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "console_auth_tokens_expires_idx" ON "console_auth_tokens" USING btree ("expires_at");