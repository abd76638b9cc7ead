-- The database keeps each binding's copy of its port's address (0007): every insert gets it
-- from the port, so no writer computes it, a web process of the release before 0007 (still
-- running while a new release rolls out on the same database) included.
CREATE FUNCTION nimbus_fill_binding_address() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.address IS NULL THEN
    SELECT p.ip_address::inet - '0.0.0.0'::inet INTO NEW.address FROM ports p WHERE p.id = NEW.port_id;
  END IF;
  RETURN NEW;
END
$$;--> statement-breakpoint
CREATE TRIGGER port_security_groups_fill_address BEFORE INSERT ON "port_security_groups"
  FOR EACH ROW WHEN (NEW.address IS NULL) EXECUTE FUNCTION nimbus_fill_binding_address();
