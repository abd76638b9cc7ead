-- The instance quota (instances, cores, RAM) is checked by the database at commit, not by the
-- launch between round trips: the check locks the project row (so checks of one project run one
-- at a time, each counting what the others committed) and that lock is held only while the
-- commit itself runs. A launch arms the check for its own transaction with its project's limits
-- (set_config 'nimbus.instance_quota', local to the transaction); inserts that do not arm it
-- (seeding, tests) are not checked. Refusals raise SQLSTATE NQ001 with the usage in DETAIL.
CREATE FUNCTION nimbus_check_instance_quota() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  armed jsonb := nullif(current_setting('nimbus.instance_quota', true), '')::jsonb;
  used record;
BEGIN
  IF armed IS NULL OR armed->>'project' IS DISTINCT FROM NEW.project_id::text THEN
    RETURN NULL;
  END IF;
  PERFORM 1 FROM projects WHERE id = NEW.project_id FOR NO KEY UPDATE;
  -- A statement of its own, so it sees what the previous holder of the lock committed.
  SELECT count(*)::int AS instances, coalesce(sum(vcpus), 0)::int AS cores, coalesce(sum(memory_mb), 0)::int AS ram
    INTO used FROM instances WHERE project_id = NEW.project_id AND vm_state <> 'deleted';
  IF ((armed->>'instances')::int >= 0 AND used.instances > (armed->>'instances')::int)
    OR ((armed->>'cores')::int >= 0 AND used.cores > (armed->>'cores')::int)
    OR ((armed->>'ram')::int >= 0 AND used.ram > (armed->>'ram')::int) THEN
    RAISE EXCEPTION 'instance quota exceeded' USING ERRCODE = 'NQ001',
      DETAIL = json_build_object('instances', used.instances, 'cores', used.cores, 'ram', used.ram)::text;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER instances_quota_at_commit AFTER INSERT ON instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION nimbus_check_instance_quota();
