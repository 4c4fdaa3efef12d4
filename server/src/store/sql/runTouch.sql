-- dag_runs.updated_at follows state changes, so the API's SSE feed can poll for run changes
-- across processes without touching any engine verb.
CREATE OR REPLACE FUNCTION runnel_touch_run() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END
$fn$;

CREATE OR REPLACE TRIGGER dag_runs_touch BEFORE UPDATE ON dag_runs
  FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION runnel_touch_run();
