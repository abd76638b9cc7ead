CREATE TYPE "public"."api_token_kind" AS ENUM('script', 'keystone');--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "kind" "api_token_kind" DEFAULT 'script' NOT NULL;