ALTER TABLE "networks" ADD COLUMN "vlan_id" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "networks_physical_network_vlan_unique" ON "networks" USING btree ("physical_network","vlan_id");--> statement-breakpoint
ALTER TABLE "networks" ADD CONSTRAINT "networks_vlan_segment" CHECK (("networks"."network_type" = 'vlan') = ("networks"."vlan_id" is not null and "networks"."physical_network" is not null) and ("networks"."vlan_id" is null or "networks"."vlan_id" between 1 and 4094));--> statement-breakpoint
-- A vlan network's segment is its VLAN id on its physical network, not a VNI: it is given none
-- (a vxlan network, and a flat one as before, still gets one as it is inserted).
CREATE OR REPLACE FUNCTION nimbus_network_segment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.segmentation_id IS NULL AND NEW.network_type <> 'vlan' THEN
    NEW.segmentation_id := nimbus_allocate_vni();
  END IF;
  RETURN NEW;
END
$$;
