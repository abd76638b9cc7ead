ALTER TABLE "images" ADD COLUMN "checksum_md5" text;--> statement-breakpoint
ALTER TABLE "images" ADD COLUMN "hash_sha512" text;