CREATE TABLE "host_network_entries" (
	"host_id" uuid NOT NULL,
	"network_id" uuid NOT NULL,
	"applied_revision" bigint DEFAULT -1 NOT NULL,
	"sent_revision" bigint,
	"sent_at" timestamp with time zone,
	CONSTRAINT "host_network_entries_host_id_network_id_pk" PRIMARY KEY("host_id","network_id")
);
--> statement-breakpoint
CREATE TABLE "network_entries" (
	"port_id" uuid PRIMARY KEY NOT NULL,
	"network_id" uuid NOT NULL,
	"mac_address" text NOT NULL,
	"ip_address" text NOT NULL,
	"host_id" uuid NOT NULL,
	"tunnel_address" text NOT NULL,
	"removed" boolean DEFAULT false NOT NULL,
	"revision" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "network_entry_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "network_entry_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"network_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "released_segments" (
	"segmentation_id" integer PRIMARY KEY NOT NULL,
	"released_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "networks" ALTER COLUMN "mtu" SET DEFAULT 1450;--> statement-breakpoint
ALTER TABLE "networks" ADD COLUMN "segmentation_id" integer;--> statement-breakpoint
ALTER TABLE "compute_hosts" ADD COLUMN "tunnel_address" text;--> statement-breakpoint
ALTER TABLE "host_network_entries" ADD CONSTRAINT "host_network_entries_host_id_compute_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."compute_hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_network_entries" ADD CONSTRAINT "host_network_entries_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "network_entries" ADD CONSTRAINT "network_entries_network_id_networks_id_fk" FOREIGN KEY ("network_id") REFERENCES "public"."networks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_network_entries_network_idx" ON "host_network_entries" USING btree ("network_id");--> statement-breakpoint
CREATE INDEX "network_entries_network_revision_idx" ON "network_entries" USING btree ("network_id","revision");--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_segmentation_id_unique" UNIQUE("segmentation_id");--> statement-breakpoint
-- Segmentation ids (VXLAN VNIs) come from the database, so every way a network is made (the
-- API, first-start seeding, tests) gets one. Drawn in turn from a cycling sequence: an id comes
-- back only after every other id of the range was drawn since, and even then not while another
-- network holds it or within a day of its network's deletion (a host that was away then may
-- still carry the old network's VXLAN device and entries).
CREATE SEQUENCE "network_vni_seq" AS integer MINVALUE 1 MAXVALUE 16777215 CYCLE;
--> statement-breakpoint
-- The revisions of network_entries: drawn only by the network entry sweep, under its lock.
CREATE SEQUENCE "network_entry_revision_seq" AS bigint MINVALUE 1;
--> statement-breakpoint
CREATE FUNCTION nimbus_allocate_vni() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  candidate integer;
  tries integer := 0;
BEGIN
  LOOP
    candidate := nextval('network_vni_seq');
    IF NOT EXISTS (SELECT 1 FROM networks WHERE segmentation_id = candidate)
      AND NOT EXISTS (SELECT 1 FROM released_segments WHERE segmentation_id = candidate AND released_at > now() - interval '1 day') THEN
      RETURN candidate;
    END IF;
    tries := tries + 1;
    IF tries >= 100000 THEN
      RAISE EXCEPTION 'no free segmentation id' USING ERRCODE = 'NV001';
    END IF;
  END LOOP;
END
$$;
--> statement-breakpoint
CREATE FUNCTION nimbus_network_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.segmentation_id IS NULL THEN
    NEW.segmentation_id := nimbus_allocate_vni();
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER networks_segment_on_insert BEFORE INSERT ON networks FOR EACH ROW EXECUTE FUNCTION nimbus_network_segment();
--> statement-breakpoint
CREATE FUNCTION nimbus_release_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.segmentation_id IS NOT NULL THEN
    INSERT INTO released_segments (segmentation_id, released_at) VALUES (OLD.segmentation_id, now())
      ON CONFLICT (segmentation_id) DO UPDATE SET released_at = excluded.released_at;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER networks_segment_on_delete AFTER DELETE ON networks FOR EACH ROW EXECUTE FUNCTION nimbus_release_segment();
--> statement-breakpoint
UPDATE networks SET segmentation_id = nimbus_allocate_vni() WHERE segmentation_id IS NULL;
--> statement-breakpoint
-- Every tenant network is now a VXLAN overlay: 50 bytes of each 1500-byte underlay frame are headers.
UPDATE networks SET mtu = 1450 WHERE mtu = 1500;
--> statement-breakpoint
-- Which networks' forwarding entries may have changed, for the network entry sweep: a port made
-- for an instance already on a host with a tunnel address (at launch it has no host yet), a
-- published port deleted or changed, an instance that changes host or is deleted where a tunnel
-- host is concerned, a host whose tunnel address changes. Where no host has a tunnel address
-- (libvirt's test driver, hosts without NIMBUS_TUNNEL_IP) nothing is marked. Rows are only
-- appended here; the sweep takes them.
CREATE FUNCTION nimbus_port_entries_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'DELETE' AND EXISTS (
    SELECT 1 FROM instances i JOIN compute_hosts h ON h.id = i.host_id WHERE i.id = NEW.instance_id AND h.tunnel_address IS NOT NULL
  ) THEN
    INSERT INTO network_entry_changes (network_id) VALUES (NEW.network_id);
  END IF;
  IF TG_OP <> 'INSERT' AND EXISTS (SELECT 1 FROM network_entries WHERE port_id = OLD.id AND NOT removed) THEN
    INSERT INTO network_entry_changes (network_id) VALUES (OLD.network_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER ports_entries_changed AFTER INSERT OR DELETE OR UPDATE OF instance_id, network_id, mac_address, ip_address ON ports
  FOR EACH ROW EXECUTE FUNCTION nimbus_port_entries_changed();
--> statement-breakpoint
CREATE FUNCTION nimbus_instance_entries_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM compute_hosts WHERE id IN (OLD.host_id, NEW.host_id) AND tunnel_address IS NOT NULL)
    OR EXISTS (SELECT 1 FROM ports p JOIN network_entries e ON e.port_id = p.id WHERE p.instance_id = NEW.id AND NOT e.removed) THEN
    INSERT INTO network_entry_changes (network_id) SELECT DISTINCT network_id FROM ports WHERE instance_id = NEW.id;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER instances_entries_changed AFTER UPDATE OF host_id, vm_state ON instances FOR EACH ROW
  WHEN (OLD.host_id IS DISTINCT FROM NEW.host_id OR (OLD.vm_state = 'deleted') IS DISTINCT FROM (NEW.vm_state = 'deleted'))
  EXECUTE FUNCTION nimbus_instance_entries_changed();
--> statement-breakpoint
CREATE FUNCTION nimbus_host_entries_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO network_entry_changes (network_id)
    SELECT DISTINCT p.network_id FROM ports p JOIN instances i ON i.id = p.instance_id WHERE i.host_id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER compute_hosts_entries_changed AFTER UPDATE OF tunnel_address ON compute_hosts FOR EACH ROW
  WHEN (OLD.tunnel_address IS DISTINCT FROM NEW.tunnel_address)
  EXECUTE FUNCTION nimbus_host_entries_changed();
