-- runnel_lock_run(run id): serializes the completions of one run until commit (taken by
-- runnel_finish_try, store/taskTries.ts and store/taskActions.ts). An advisory lock, not a row
-- lock: it writes nothing (a FOR UPDATE row lock costs a WAL record per completion). The first key
-- is ASCII "RUNR"; runs whose ids differ by 2^31-1 share a key, which only serializes them a little more.
CREATE OR REPLACE FUNCTION runnel_lock_run(p_run_id bigint) RETURNS void LANGUAGE sql AS $fn$
  SELECT pg_advisory_xact_lock(1381322322, (p_run_id % 2147483647)::integer)
$fn$;
