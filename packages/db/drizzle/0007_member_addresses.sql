-- A remote group's member addresses are read from port_security_groups' own index, in order,
-- with no join to ports: each binding carries its port's IPv4 address as a number.
ALTER TABLE "port_security_groups" ADD COLUMN "address" bigint;--> statement-breakpoint
UPDATE "port_security_groups" m SET "address" = p."ip_address"::inet - '0.0.0.0'::inet FROM "ports" p WHERE p."id" = m."port_id";--> statement-breakpoint
ALTER TABLE "port_security_groups" ALTER COLUMN "address" SET NOT NULL;--> statement-breakpoint
DROP INDEX "port_security_groups_group_idx";--> statement-breakpoint
CREATE INDEX "port_security_groups_members_idx" ON "port_security_groups" USING btree ("group_id","address");
