CREATE TABLE "quota_usages" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"instances" integer DEFAULT 0 NOT NULL,
	"cores" integer DEFAULT 0 NOT NULL,
	"ram" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "quota_usages" ADD CONSTRAINT "quota_usages_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The instance quota's usage, kept by counters (quota_usages) instead of counted at every launch:
-- at 100,000 instances the count at commit (0005_quota_at_commit) took ~16 ms a launch, under
-- the project's lock, and launches fell to a third. Nova's quota_usages drifted because its
-- services kept them (reserve, commit, rollback across processes); these are kept by the
-- database, in the transaction that changes the instances: each insert, delete, or update that
-- changes what a row counts adds its difference as the transaction commits (deferred), so a
-- rolled-back change never reaches them and concurrent changes queue on the counter row
-- (an upsert of `x = x + d`) rather than overwrite each other.
-- A launch still arms its check (set_config 'nimbus.instance_quota', as in 0005): its insert then
-- locks the project row (concurrent checks of one project run one at a time), adds itself and
-- refuses the commit with SQLSTATE NQ001, the usage in DETAIL, if the project would pass a limit.
DROP TRIGGER instances_quota_at_commit ON instances;
--> statement-breakpoint
DROP FUNCTION nimbus_check_instance_quota();
--> statement-breakpoint
CREATE FUNCTION nimbus_add_instance_usage(project uuid, more_instances int, more_cores int, more_ram int) RETURNS quota_usages
LANGUAGE sql AS $$
  INSERT INTO quota_usages AS u (project_id, instances, cores, ram) VALUES (project, more_instances, more_cores, more_ram)
  ON CONFLICT (project_id) DO UPDATE
    SET instances = u.instances + excluded.instances, cores = u.cores + excluded.cores, ram = u.ram + excluded.ram
  RETURNING u.*;
$$;
--> statement-breakpoint
CREATE FUNCTION nimbus_count_instance_usage() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  counted_before boolean := TG_OP <> 'INSERT' AND OLD.vm_state <> 'deleted';
  counted_after boolean := TG_OP <> 'DELETE' AND NEW.vm_state <> 'deleted';
  armed jsonb;
  used quota_usages;
BEGIN
  IF counted_before AND counted_after AND OLD.project_id = NEW.project_id THEN
    -- A resize: the columns carry the new flavor.
    PERFORM nimbus_add_instance_usage(NEW.project_id, 0, NEW.vcpus - OLD.vcpus, NEW.memory_mb - OLD.memory_mb);
    RETURN NULL;
  END IF;
  IF counted_before THEN
    PERFORM nimbus_add_instance_usage(OLD.project_id, -1, -OLD.vcpus, -OLD.memory_mb);
  END IF;
  IF NOT counted_after THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    armed := nullif(current_setting('nimbus.instance_quota', true), '')::jsonb;
    IF armed->>'project' IS DISTINCT FROM NEW.project_id::text THEN
      armed := NULL;
    END IF;
  END IF;
  IF armed IS NOT NULL THEN
    PERFORM 1 FROM projects WHERE id = NEW.project_id FOR NO KEY UPDATE;
  END IF;
  used := nimbus_add_instance_usage(NEW.project_id, 1, NEW.vcpus, NEW.memory_mb);
  IF armed IS NOT NULL AND (((armed->>'instances')::int >= 0 AND used.instances > (armed->>'instances')::int)
    OR ((armed->>'cores')::int >= 0 AND used.cores > (armed->>'cores')::int)
    OR ((armed->>'ram')::int >= 0 AND used.ram > (armed->>'ram')::int)) THEN
    RAISE EXCEPTION 'instance quota exceeded' USING ERRCODE = 'NQ001',
      DETAIL = json_build_object('instances', used.instances, 'cores', used.cores, 'ram', used.ram)::text;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER instances_usage_insert AFTER INSERT ON instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.vm_state <> 'deleted') EXECUTE FUNCTION nimbus_count_instance_usage();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER instances_usage_update AFTER UPDATE OF vm_state, vcpus, memory_mb, project_id ON instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN ((OLD.vm_state = 'deleted') IS DISTINCT FROM (NEW.vm_state = 'deleted') OR OLD.vcpus IS DISTINCT FROM NEW.vcpus
    OR OLD.memory_mb IS DISTINCT FROM NEW.memory_mb OR OLD.project_id IS DISTINCT FROM NEW.project_id)
  EXECUTE FUNCTION nimbus_count_instance_usage();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER instances_usage_delete AFTER DELETE ON instances
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.vm_state <> 'deleted') EXECUTE FUNCTION nimbus_count_instance_usage();
--> statement-breakpoint
-- The triggers above hold instances against writes until this migration commits, so the count
-- below and the counting from here on meet without a gap.
INSERT INTO quota_usages (project_id, instances, cores, ram)
  SELECT project_id, count(*)::int, sum(vcpus)::int, sum(memory_mb)::int FROM instances WHERE vm_state <> 'deleted' GROUP BY project_id;
