/**
 * Backfill phase of `pnpm bench`: a 365-day backfill (2023-01-01..2023-12-31) of
 * `bench_backfill_daily` (10 no-op tasks, `@daily`) in a fresh database, through the real code
 * path (`prepareBackfill` for the dry run, `createBackfill`, then the scheduler's
 * `advanceBackfills` launching runs within the backfill's maxActiveRuns).
 *
 *   dry run          prepareBackfill: parse, validate, list the range's runs, plan (writes nothing)
 *   create           createBackfill: the same, plus the backfills row and its 365 backfill_dates
 *   first batch      create call start -> the maxActiveRuns-th run's dag_runs.created_at
 *   all runs         create call start -> the last run's dag_runs.created_at (runs are created
 *                    lazily, so this tracks the runs ending, not the cost of creating them)
 *   all tasks        create call start -> the last task instance's end_date; tasks/sec over it,
 *                    and its ratio to the raw BullMQ jobs/sec measured in the same bench
 */
import { fileURLToPath } from "node:url";
import { setDagPaused } from "../src/store/dags";
import { createBackfill, prepareBackfill, type BackfillRequestInput } from "../src/scheduler/createBackfill";
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import type { Cleanup } from "./cleanup";
import { RunnelHarness } from "./runnelHarness";
import { fmt, round2 } from "./stats";

export const BACKFILL_DAGS_FOLDER = fileURLToPath(new URL("./benchDags/backfill/", import.meta.url));
export const BACKFILL_DAG = "bench_backfill_daily";
const FROM = "2023-01-01";
const TO = "2023-12-31";

export interface BackfillBenchOptions {
  concurrency: number;
  schedulerIntervalMs: number;
  maxActiveRuns: number;
  /** Raw BullMQ no-op jobs/sec measured earlier in the same bench run. */
  rawJobsPerSec: number;
  timeoutMs?: number;
}

/** The figures written under `backfill` in results.json. */
export interface BackfillBenchResult {
  dagId: string;
  from: string;
  to: string;
  runs: number;
  tasks: number;
  maxActiveRuns: number;
  workerConcurrency: number;
  schedulerIntervalMs: number;
  dryRunMs: number;
  createMs: number;
  firstBatchCreatedMs: number;
  /** Mean time per run inside the first batch (consecutive created_at gaps). */
  runCreateMsEach: number;
  allRunsCreatedMs: number;
  allTasksFinishedMs: number;
  backfillCompletedMs: number;
  /** The 365-day backfill end to end: create call start -> the backfill marked completed. */
  totalMs: number;
  tasksPerSec: number;
  rawBullmqJobsPerSec: number;
  ratioToRawBullmq: number;
  nonSuccessRuns: number;
}

interface Timeline {
  runs: number;
  tasks: number;
  successRuns: number;
  createdAtMs: number[];
  lastTaskEndMs: number;
  completedAtMs: number;
}

/** Polls the backfill until it leaves `running`; throws after `timeoutMs`. */
async function waitForBackfill(h: RunnelHarness, id: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await h.rt.db("backfills").select("state").where({ id }).first()) as { state: string } | undefined;
    if (row && row.state !== "running") {
      if (row.state !== "completed") throw new Error(`bench backfill ended ${row.state}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`bench backfill did not complete within ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

async function timeline(h: RunnelHarness, id: number): Promise<Timeline> {
  const db = h.rt.db;
  const runs = (
    await db.raw<{ rows: { created: string; state: string }[] }>(`SELECT extract(epoch FROM created_at) * 1000 AS created, state FROM dag_runs WHERE backfill_id = ? ORDER BY created_at, id`, [id])
  ).rows;
  const agg = (
    await db.raw<{ rows: { tasks: string; last_end: string; completed: string }[] }>(
      `SELECT count(*) AS tasks, extract(epoch FROM max(t.end_date)) * 1000 AS last_end,
              (SELECT extract(epoch FROM completed_at) * 1000 FROM backfills WHERE id = ?) AS completed
       FROM task_instances t JOIN dag_runs r ON r.id = t.dag_run_id WHERE r.backfill_id = ? AND t.state = 'success'`,
      [id, id],
    )
  ).rows[0];
  return {
    runs: runs.length,
    tasks: Number(agg?.tasks ?? 0),
    successRuns: runs.filter((r) => r.state === "success").length,
    createdAtMs: runs.map((r) => Number(r.created)),
    lastTaskEndMs: Number(agg?.last_end),
    completedAtMs: Number(agg?.completed),
  };
}

/** Dry run, create and run the backfill on an open harness; returns its figures. */
async function measure(h: RunnelHarness, o: BackfillBenchOptions, log: (s: string) => void): Promise<BackfillBenchResult> {
  const { loaded } = h.dag(BACKFILL_DAG);
  const maxRuns = h.rt.config.backfillMaxRuns;
  const req: BackfillRequestInput = { from: FROM, to: TO, reprocess: "missing", maxActiveRuns: o.maxActiveRuns, createdBy: "bench" };
  const d0 = performance.now();
  const dry = await prepareBackfill(h.rt.db, loaded, req, maxRuns);
  const dryRunMs = performance.now() - d0;
  if (dry.plan.create.length !== 365) throw new Error(`dry run plans ${dry.plan.create.length} runs, expected 365`);
  log(`backfill: dry run ${fmt(dryRunMs, 1)} ms; creating the backfill (maxActiveRuns ${o.maxActiveRuns})`);
  const t0 = Date.now();
  const { id } = await createBackfill(h.rt.db, loaded, req, maxRuns);
  const createMs = Date.now() - t0;
  await waitForBackfill(h, id, o.timeoutMs ?? 600_000);
  const t = await timeline(h, id);
  const firstBatch = t.createdAtMs.slice(0, Math.min(o.maxActiveRuns, t.createdAtMs.length));
  const first = firstBatch[0] ?? t0;
  const lastOfBatch = firstBatch[firstBatch.length - 1] ?? t0;
  const allTasksFinishedMs = t.lastTaskEndMs - t0;
  const tasksPerSec = (t.tasks / allTasksFinishedMs) * 1000;
  return {
    dagId: BACKFILL_DAG,
    from: FROM,
    to: TO,
    runs: t.runs,
    tasks: t.tasks,
    maxActiveRuns: o.maxActiveRuns,
    workerConcurrency: o.concurrency,
    schedulerIntervalMs: o.schedulerIntervalMs,
    dryRunMs: round2(dryRunMs),
    createMs: round2(createMs),
    firstBatchCreatedMs: round2(lastOfBatch - t0),
    runCreateMsEach: round2(firstBatch.length > 1 ? (lastOfBatch - first) / (firstBatch.length - 1) : Number.NaN),
    allRunsCreatedMs: round2((t.createdAtMs[t.createdAtMs.length - 1] ?? t0) - t0),
    allTasksFinishedMs: round2(allTasksFinishedMs),
    backfillCompletedMs: round2(t.completedAtMs - t0),
    totalMs: round2(t.completedAtMs - t0),
    tasksPerSec: round2(tasksPerSec),
    rawBullmqJobsPerSec: round2(o.rawJobsPerSec),
    ratioToRawBullmq: round2(o.rawJobsPerSec === 0 ? Number.NaN : tasksPerSec / o.rawJobsPerSec),
    nonSuccessRuns: t.runs - t.successRuns,
  };
}

/**
 * The backfill phase in its own fresh database (dropped right after). The DAG is paused before
 * the scheduler starts so no scheduled run joins in: pausing stops scheduled runs only, a
 * backfill still runs.
 */
export async function runBackfillBench(o: BackfillBenchOptions, cleanup: Cleanup, log: (s: string) => void): Promise<BackfillBenchResult> {
  cleanup.backfillDb = await createBenchDatabase();
  log(`backfill: database ${cleanup.backfillDb.name}, 365 dates of ${BACKFILL_DAG} (3,650 tasks), worker concurrency ${o.concurrency}`);
  try {
    const h = await RunnelHarness.open({
      databaseUrl: cleanup.backfillDb.url,
      redisUrl: BENCH_REDIS_URL,
      prefix: cleanup.prefix("backfill"),
      concurrency: o.concurrency,
      schedulerIntervalMs: o.schedulerIntervalMs,
      migrate: true,
      dagsFolder: BACKFILL_DAGS_FOLDER,
      beforeStart: async (rt) => void (await setDagPaused(rt.db, BACKFILL_DAG, true)),
    });
    try {
      return await measure(h, o, log);
    } finally {
      await h.close();
    }
  } finally {
    await cleanup.backfillDb.drop();
    cleanup.backfillDb = undefined;
  }
}

/** Prints the backfill figures. */
export function printBackfill(r: BackfillBenchResult): void {
  console.log(`\nBackfill — ${r.runs} runs of ${r.dagId} (${r.tasks} tasks), ${r.from}..${r.to}, maxActiveRuns ${r.maxActiveRuns}, worker concurrency ${r.workerConcurrency}, scheduler tick ${r.schedulerIntervalMs} ms`);
  console.log(`  dry run (validate + plan)              ${fmt(r.dryRunMs, 1).padStart(10)} ms`);
  console.log(`  create (plan + backfill row + dates)   ${fmt(r.createMs, 1).padStart(10)} ms`);
  console.log(`  first ${String(r.maxActiveRuns).padEnd(4)} runs created              ${fmt(r.firstBatchCreatedMs, 1).padStart(10)} ms  (${fmt(r.runCreateMsEach, 2)} ms per run)`);
  console.log(`  all ${r.runs} runs created                ${fmt(r.allRunsCreatedMs, 0).padStart(10)} ms`);
  console.log(`  all ${r.tasks} tasks finished            ${fmt(r.allTasksFinishedMs, 0).padStart(10)} ms`);
  console.log(`  backfill completed                     ${fmt(r.backfillCompletedMs, 0).padStart(10)} ms`);
  console.log(`  throughput ${fmt(r.tasksPerSec, 0)} tasks/s = ${fmt(r.ratioToRawBullmq, 3)} x raw BullMQ (${fmt(r.rawBullmqJobsPerSec, 0)} jobs/s); non-success runs ${r.nonSuccessRuns}`);
}
