-- runnel_lock_run(run id): serializes a person's actions on one run (clear, mark, cancel in
-- store/taskActions.ts) until commit. Completions no longer take it: they are kept right by the
-- fan-in counters and row locks (faninCounters.sql, finishTries.sql). An advisory lock, not a row
-- lock: it writes nothing. The first key is ASCII "RUNR"; runs whose ids differ by 2^31-1 share a
-- key, which only serializes them a little more.
CREATE OR REPLACE FUNCTION runnel_lock_run(p_run_id bigint) RETURNS void LANGUAGE sql AS $fn$
  SELECT pg_advisory_xact_lock(1381322322, (p_run_id % 2147483647)::integer)
$fn$;
