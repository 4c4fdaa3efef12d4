import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GridResponse, RunDetail, TaskInstanceDetail } from "../../src/api/contract";
import type { Runtime } from "../../src/runtime/runtime";
import { startWorker } from "../../src/runtime/services";
import { createBackfill } from "../../src/scheduler/createBackfill";
import { LeaderLock } from "../../src/scheduler/leaderLock";
import { SchedulerLoop } from "../../src/scheduler/schedulerLoop";
import { MARK_RUN_DEADLINES_SQL, MARK_TASK_DEADLINES_SQL } from "../../src/store/deadlines";
import { createRun } from "../../src/store/runs";
import { clearTaskInstances } from "../../src/store/taskActions";
import { startApiStack, type ApiStack } from "../helpers/apiServer";
import { trigger, waitFor } from "../helpers/engine";

/**
 * Deadlines (issue 10 item 4): a DAG's `deadline` and a task's `expectedDuration` are checked by
 * the leading scheduler on its own clock (an injected one here, so the test decides when "now"
 * is), with no worker needed; each miss is one `deadline_missed` event written with the mark, the
 * metric counts it, and runs and task instances that end late record by how much.
 */
const DAGS = fileURLToPath(new URL("../fixtures/deadline_dags/", import.meta.url));

let stack: ApiStack;
let rt: Runtime;
let loop: SchedulerLoop;
/** The scheduler's clock: a fixed instant, or the real time when undefined. */
const clock: { now: Date | undefined } = { now: undefined };

interface EventRow {
  id: string;
  event: string;
  dag_id: string;
  dag_run_id: number;
  run_id: string;
  logical_date: Date;
  task_instance_id: number | null;
  task_id: string | null;
  try_number: number | null;
  error: string;
  details: Record<string, unknown>;
}

beforeAll(async () => {
  // An API and a runtime, but no scheduler and (at first) no worker: this test drives the ticks.
  stack = await startApiStack("deadlines", { worker: false, scheduler: false, config: { dagsFolder: DAGS } });
  rt = stack.engine.rt;
  loop = new SchedulerLoop({
    db: rt.db,
    registry: rt.registry,
    dispatch: rt.dispatch,
    dispatcher: rt.dispatcher,
    leader: new LeaderLock(stack.env.config.databaseUrl),
    log: rt.log,
    metrics: rt.metrics,
    intervalMs: 1000,
    reconcileIntervalMs: 60_000,
    zombieTimeoutMs: 60_000,
    now: () => clock.now ?? new Date(),
  });
});

afterEach(() => {
  clock.now = undefined;
});

afterAll(async () => {
  await loop?.stop();
  await stack?.close();
});

const deadlineEvents = (where: Record<string, unknown>): Promise<EventRow[]> =>
  stack.env.db("alert_events").where({ event: "deadline_missed", ...where }).orderBy("seq").select<EventRow[]>("*");

async function misses(dagId: string, kind: "run" | "task"): Promise<number> {
  const metric = await rt.metrics.deadlineMisses.get();
  return metric.values.find((v) => v.labels.dag_id === dagId && v.labels.kind === kind)?.value ?? 0;
}

async function runRow(id: number) {
  return stack.env.db("dag_runs").where({ id }).first<{ state: string; created_at: Date; end_date: Date | null; deadline_at: Date | null; deadline_missed_at: Date | null }>();
}

async function tiRow(dagRunId: number, taskId: string) {
  return stack.env
    .db("task_instances")
    .where({ dag_run_id: dagRunId, task_id: taskId })
    .first<{ id: number; state: string; try_number: number; start_date: Date | null; end_date: Date | null; expected_duration_ms: number | null; deadline_at: Date | null; deadline_missed_at: Date | null }>();
}

/** Ticks the scheduler until `probe` answers (a scheduler that ticks every 50 ms). */
function tickUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  return waitFor(
    what,
    async () => {
      await loop.tick();
      return probe();
    },
    timeoutMs,
    50,
  );
}

/** An open `GET /api/events` stream: `until(n)` waits for the n-th `event: run` of a run. */
async function runEvents(dagRunId: number) {
  const abort = new AbortController();
  const res = await fetch(`${stack.base}/api/events?dagRunId=${dagRunId}`, { headers: { authorization: `Bearer ${stack.tokens.viewer}` }, signal: abort.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const count = () => text.split("event: run").length - 1;
  return {
    async until(n: number, timeoutMs = 10_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (count() < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} run events; saw: ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; saw: ${text}`);
        text += decoder.decode(value);
      }
    },
    close: () => abort.abort(),
  };
}

async function getJson<T>(path: string): Promise<T> {
  const res = await stack.call("viewer", path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

describe("deadlines", () => {
  it("reports a bad deadline or expectedDuration as an import error naming the DAG and task", () => {
    const errors = rt.registry.importErrors();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('DAG "deadline_bad" has 2 problems');
    expect(errors[0]!.message).toContain('deadline.from must be one of "queued", "logicalDate", "intervalEnd"; got "start"');
    expect(errors[0]!.message).toContain('task "t": expectedDuration: cannot read "ten minutes"');
  });

  it("a run past its deadline with no worker alive: the leader's ticks write exactly one event, mark the run and count it", async () => {
    const id = await trigger(rt, "deadline_queued");
    const created = (await runRow(id))!;
    // from "queued", within 1 s: the deadline is the run's creation plus 1 s.
    expect(Math.abs(created.deadline_at!.getTime() - created.created_at.getTime() - 1000)).toBeLessThan(50);
    const due = created.deadline_at!;

    clock.now = new Date(due.getTime() - 200);
    await loop.tick();
    expect(await deadlineEvents({ dag_run_id: id })).toEqual([]);
    expect((await runRow(id))!.deadline_missed_at).toBeNull();
    // The dashboard's live feed has seen the run start...
    const feed = await runEvents(id);
    await feed.until(1);

    // The scheduler was away for a while: it finds the run 12 min 3 s late.
    const found = new Date(due.getTime() + 723_000);
    clock.now = found;
    await loop.tick();
    await loop.tick();
    clock.now = new Date(found.getTime() + 3_600_000);
    await loop.tick();
    // ...and hears of the miss, though the run's state did not change (the grid refreshes and marks it).
    await feed.until(2);
    feed.close();

    const events = await deadlineEvents({ dag_run_id: id });
    expect(events).toHaveLength(1);
    const run = (await runRow(id))!;
    expect(["queued", "running"]).toContain(run.state);
    expect(run.deadline_missed_at).toEqual(found);
    expect(events[0]).toMatchObject({
      dag_id: "deadline_queued",
      run_id: expect.stringMatching(/^manual__/) as unknown,
      task_instance_id: null,
      task_id: null,
      try_number: null,
      error: `run not finished 12m 3s after its deadline (${due.toISOString().slice(0, 19)}Z)`,
      details: { kind: "run", deadlineAt: due.toISOString(), lateMs: 723_000, from: "queued", withinMs: 1000 },
    });
    expect(await misses("deadline_queued", "run")).toBe(1);

    // The API shows the miss; lateMs stays null while the run has not ended.
    const body = await getJson<RunDetail>(`/api/runs/${id}`);
    expect(body).toMatchObject({ deadlineAt: due.toISOString(), deadlineMissedAt: found.toISOString(), lateMs: null });
    const grid = await getJson<GridResponse>("/api/dags/deadline_queued/grid");
    expect(grid.runs.find((r) => r.dagRunId === id)?.missedDeadline).toEqual({ deadlineAt: due.toISOString(), lateMs: null });
  });

  it("a run that ends after its deadline records by how much: lateMs in the API and in its run_failed event", async () => {
    const earlierRun = (await stack.env.db("dag_runs").where({ dag_id: "deadline_queued" }).first<{ id: number; deadline_at: Date }>("id", "deadline_at"))!;
    const missedEarlier = earlierRun.id;
    // The previous test's clock ran ahead; let the real one pass that run's deadline before a worker can run it.
    await waitFor("the earlier run's deadline to pass", () => Promise.resolve(Date.now() > earlierRun.deadline_at.getTime() + 5 ? true : undefined));
    startWorker(rt);
    const id = await trigger(rt, "deadline_queued", { sleepMs: 1500, fail: true });
    const ended = await tickUntil(`run ${id} to end`, async () => {
      const r = await runRow(id);
      return r && r.state === "failed" ? r : undefined;
    });
    // The real clock's ticks found it running past its deadline (1 s) before it failed (1.5 s).
    expect(await deadlineEvents({ dag_run_id: id })).toHaveLength(1);
    expect(ended.deadline_missed_at).not.toBeNull();
    const late = ended.end_date!.getTime() - ended.deadline_at!.getTime();
    expect(late).toBeGreaterThan(0);

    const failed = await stack.env.db("alert_events").where({ event: "run_failed", dag_run_id: id }).select<EventRow[]>("*");
    expect(failed).toHaveLength(1);
    expect(Math.abs(Number(failed[0]!.details.lateMs) - late)).toBeLessThanOrEqual(1);
    expect(new Date(String(failed[0]!.details.deadlineAt)).getTime()).toBe(ended.deadline_at!.getTime());

    const body = await getJson<RunDetail>(`/api/runs/${id}`);
    expect(body).toMatchObject({ state: "failed", deadlineAt: ended.deadline_at!.toISOString(), deadlineMissedAt: ended.deadline_missed_at!.toISOString(), lateMs: late });
    const list = await getJson<{ runs: { dagRunId: number; lateMs: number | null }[] }>("/api/runs?dagId=deadline_queued");
    expect(list.runs.find((r) => r.dagRunId === id)?.lateMs).toBe(late);

    // The run missed earlier (no worker then) ran once the worker came up: it too ended late, with no second event.
    const earlier = await tickUntil("the earlier run to end", async () => {
      const r = await runRow(missedEarlier);
      return r?.end_date ? r : undefined;
    });
    expect((await getJson<RunDetail>(`/api/runs/${missedEarlier}`)).lateMs).toBe(earlier.end_date!.getTime() - earlier.deadline_at!.getTime());
    expect(await deadlineEvents({ dag_run_id: missedEarlier })).toHaveLength(1);
    expect(await misses("deadline_queued", "run")).toBe(2);
  });

  it("a task running past its expectedDuration gets one task event; clearing it resets the deadline and the rerun counts afresh", async () => {
    const id = await trigger(rt, "deadline_slow_task");
    const [event] = await tickUntil("a task deadline event", async () => {
      const found = await deadlineEvents({ dag_run_id: id });
      return found.length ? found : undefined;
    });
    const slow = (await tiRow(id, "slow"))!;
    expect(slow.state).toBe("running");
    expect(slow.expected_duration_ms).toBe(200);
    // Counted from the first try's start.
    expect(Math.abs(slow.deadline_at!.getTime() - slow.start_date!.getTime() - 200)).toBeLessThan(20);
    expect(event).toMatchObject({
      dag_id: "deadline_slow_task",
      task_instance_id: slow.id,
      task_id: "slow",
      try_number: 1,
      details: { kind: "task", deadlineAt: slow.deadline_at!.toISOString(), expectedDurationMs: 200 },
    });
    expect(event!.error).toMatch(/^task slow not finished (\d+ms|\d+s) after its deadline \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, expected duration 200ms\)$/);
    expect(Number(event!.details.lateMs)).toBeGreaterThanOrEqual(0);

    await tickUntil("the run to end", async () => ((await runRow(id))!.state === "success" ? true : undefined));
    await loop.tick();
    expect(await deadlineEvents({ dag_run_id: id })).toHaveLength(1);
    expect(await misses("deadline_slow_task", "task")).toBe(1);
    const unbounded = (await tiRow(id, "unbounded"))!;
    expect(unbounded).toMatchObject({ expected_duration_ms: null, deadline_at: null, deadline_missed_at: null });

    // The API: the task instance ended ~1 s after its deadline; the grid marks its cell (not the run: no DAG deadline).
    const ended = (await tiRow(id, "slow"))!;
    const ti = await getJson<TaskInstanceDetail>(`/api/task-instances/${slow.id}`);
    expect(ti).toMatchObject({
      expectedDurationMs: 200,
      deadlineAt: ended.deadline_at!.toISOString(),
      deadlineMissedAt: ended.deadline_missed_at!.toISOString(),
      lateMs: ended.end_date!.getTime() - ended.deadline_at!.getTime(),
    });
    expect(ti.lateMs).toBeGreaterThan(500);
    const run = await getJson<RunDetail>(`/api/runs/${id}`);
    expect(run).toMatchObject({ deadlineAt: null, deadlineMissedAt: null, lateMs: null });
    expect(run.taskInstances.find((t) => t.taskId === "unbounded")).toMatchObject({ expectedDurationMs: null, deadlineAt: null, lateMs: null });
    const grid = await getJson<GridResponse>("/api/dags/deadline_slow_task/grid");
    const column = grid.runs.find((r) => r.dagRunId === id)!;
    expect(column.missedDeadline).toBeUndefined();
    expect(column.cells.slow?.missedDeadline).toEqual({ deadlineAt: ended.deadline_at!.toISOString(), lateMs: ti.lateMs });
    expect(column.cells.unbounded?.missedDeadline).toBeUndefined();

    // Clear: the deadline and its miss are reset in the clear's transaction...
    const cleared = await clearTaskInstances(rt.db, id, { taskIds: ["slow"] }, rt.dispatch);
    expect(await tiRow(id, "slow")).toMatchObject({ deadline_at: null, deadline_missed_at: null });
    await rt.dispatch.dispatch(cleared);
    // ...and the rerun's first start sets a fresh one, missed again: a second event, for try 2.
    const events = await tickUntil("the rerun's deadline event", async () => {
      const found = await deadlineEvents({ dag_run_id: id });
      return found.length === 2 ? found : undefined;
    });
    const rerun = (await tiRow(id, "slow"))!;
    expect(events.map((e) => e.try_number)).toEqual([1, 2]);
    expect(Math.abs(rerun.deadline_at!.getTime() - rerun.start_date!.getTime() - 200)).toBeLessThan(20);
    expect(rerun.deadline_at!.getTime()).toBeGreaterThan(ended.end_date!.getTime());
    await tickUntil("the rerun to end", async () => ((await runRow(id))!.state === "success" ? true : undefined));
  });

  it("a scheduled run gets its logicalDate deadline; backfill and test runs get none", async () => {
    // The first ticks created deadline_daily's latest scheduled run (2024-01-31): due at 01:00 that day, so missed at once.
    const scheduled = (await stack.env.db("dag_runs").where({ dag_id: "deadline_daily", run_type: "scheduled" }).select<{ id: number; logical_date: Date; deadline_at: Date }[]>("id", "logical_date", "deadline_at"))!;
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.deadline_at.getTime() - scheduled[0]!.logical_date.getTime()).toBe(3_600_000);
    expect(await deadlineEvents({ dag_run_id: scheduled[0]!.id })).toHaveLength(1);

    const loaded = rt.registry.get("deadline_daily")!;
    await createBackfill(rt.db, loaded, { from: "2024-01-02", to: "2024-01-04", reprocess: "missing", maxActiveRuns: 3 }, 1000);
    const backfillRuns = await tickUntil("three backfill runs to end", async () => {
      const rows = await stack.env.db("dag_runs").where({ dag_id: "deadline_daily", run_type: "backfill" }).select<{ id: number; state: string; deadline_at: Date | null; deadline_missed_at: Date | null }[]>("id", "state", "deadline_at", "deadline_missed_at");
      return rows.length === 3 && rows.every((r) => r.state === "success") ? rows : undefined;
    });
    expect(backfillRuns.map((r) => [r.deadline_at, r.deadline_missed_at])).toEqual([
      [null, null],
      [null, null],
      [null, null],
    ]);
    expect(await stack.env.db("alert_events").where({ event: "deadline_missed" }).whereIn("dag_run_id", backfillRuns.map((r) => r.id))).toEqual([]);

    // A backfill run of a DAG whose deadline counts from "queued" does get one; a `dags test` run never.
    const queued = rt.registry.get("deadline_queued")!;
    const versionId = rt.registry.versionId("deadline_queued")!;
    const at = new Date("2024-03-01T00:00:00Z");
    const base = { dagId: "deadline_queued", logicalDate: at, dataIntervalStart: at, dataIntervalEnd: at, versionId, graph: queued.serialized };
    const backfill = (await createRun(rt.db, { ...base, runId: "backfill__x", runType: "backfill" }))!;
    const test = (await createRun(rt.db, { ...base, runId: "test__x", runType: "test" }))!;
    expect((await runRow(backfill))!.deadline_at).not.toBeNull();
    expect((await runRow(test))!.deadline_at).toBeNull();
  });

  it("checks through the partial indexes: with thousands of ended runs and task instances and a backlog of pending ones, neither statement scans them", async () => {
    const versionId = rt.registry.versionId("deadline_queued")!;
    // A backlog: 3,000 pending task instances without a deadline (in failed runs, so no tick touches them).
    await stack.env.db.raw(
      `WITH runs AS (
         INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id, end_date)
         SELECT 'deadline_queued', 'backlog__' || i, 'manual', 'failed', now(), now(), now(), ?, now() FROM generate_series(1, 1000) AS i
         RETURNING id)
       INSERT INTO task_instances (dag_run_id, dag_id, task_id, state) SELECT runs.id, 'deadline_queued', 'task_' || k, 'pending' FROM runs, generate_series(1, 3) AS k`,
      [versionId],
    );
    await stack.env.db.raw(
      `WITH runs AS (
         INSERT INTO dag_runs (dag_id, run_id, run_type, state, logical_date, data_interval_start, data_interval_end, dag_version_id, end_date, deadline_at)
         SELECT 'deadline_queued', 'bulk__' || i, 'manual', 'success', t, t, t, ?, t + interval '1 minute', t + interval '1 hour'
           FROM generate_series(1, 4000) AS i, LATERAL (SELECT timestamptz '2023-01-01' + i * interval '1 hour' AS t) d
         RETURNING id, end_date, deadline_at)
       INSERT INTO task_instances (dag_run_id, dag_id, task_id, state, try_number, start_date, end_date, expected_duration_ms, deadline_at)
       SELECT runs.id, 'deadline_queued', 'task_' || k, 'success', 1, runs.end_date - interval '30 seconds', runs.end_date, 60000, runs.end_date
         FROM runs, generate_series(1, 3) AS k`,
      [versionId],
    );
    await stack.env.db.raw("ANALYZE dag_runs; ANALYZE task_instances");
    const plans: Record<string, string> = {};
    for (const [name, sql] of Object.entries({ run: MARK_RUN_DEADLINES_SQL, task: MARK_TASK_DEADLINES_SQL })) {
      const rows = (await stack.env.db.raw<{ rows: { "QUERY PLAN": string }[] }>(`EXPLAIN ${sql.replace(/\$1/g, "now()").replace(/\$2/g, "500")}`)).rows;
      plans[name] = rows.map((r) => r["QUERY PLAN"]).join("\n");
    }
    expect(plans.run).toContain("dag_runs_deadline_idx");
    expect(plans.run).not.toMatch(/Seq Scan on dag_runs/);
    expect(plans.task).toContain("task_instances_deadline_idx");
    expect(plans.task).not.toMatch(/Seq Scan on (task_instances|dag_runs)/);
    // And nothing of it is reported: they all ended in time (the first tick settles whatever earlier tests left due).
    await loop.tick();
    const before = (await deadlineEvents({})).length;
    await loop.tick();
    expect((await deadlineEvents({})).length).toBe(before);
  });
});
