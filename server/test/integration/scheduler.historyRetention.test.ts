import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/obs/logger";
import { Runtime } from "../../src/runtime/runtime";
import { LeaderLock } from "../../src/scheduler/leaderLock";
import { SchedulerLoop } from "../../src/scheduler/schedulerLoop";
import { cleanHistory } from "../../src/store/historyCleanup";
import { createEngineEnv, type EngineEnv } from "../helpers/engine";

// A folder whose DAGs are manual: ticks create no runs of their own.
const DAGS = fileURLToPath(new URL("../fixtures/lineage_dags/", import.meta.url));
const DAY_MS = 86_400_000;

let env: EngineEnv;
let rt: Runtime;

beforeAll(async () => {
  env = await createEngineEnv("retention", { dagsFolder: DAGS });
  rt = await Runtime.open(env.config, { component: "test", migrate: true, syncDags: true, logger: silentLogger() });
});
afterAll(async () => {
  await rt?.close();
  await env?.drop();
});

/** A success run of lineage_c that ended at `ended`. */
async function endedRun(label: string, ended: Date, runType = "manual"): Promise<number> {
  const versionId = (await env.db("dags").where({ dag_id: "lineage_c" }).first<{ latest_version_id: number }>("latest_version_id"))!.latest_version_id;
  const [row] = await env
    .db("dag_runs")
    .insert({ dag_id: "lineage_c", run_id: `${runType}__${label}`, run_type: runType, state: "success", logical_date: ended, data_interval_start: ended, data_interval_end: ended, dag_version_id: versionId, end_date: ended })
    .returning<Array<{ id: number }>>("id");
  return Number(row!.id);
}

const exists = async (id: number) => (await env.db("dag_runs").where({ id }).first()) !== undefined;

function loopAt(clock: { now: Date }, retentionMs: number | null): SchedulerLoop {
  return new SchedulerLoop({
    db: rt.db,
    registry: rt.registry,
    dispatch: rt.dispatch,
    dispatcher: rt.dispatcher,
    leader: new LeaderLock(env.config.databaseUrl),
    log: silentLogger(),
    intervalMs: 1000,
    reconcileIntervalMs: 60_000,
    zombieTimeoutMs: 60_000,
    retentionMs,
    now: () => clock.now,
  });
}

describe("RUNNEL_RETENTION on the leading scheduler", () => {
  it("cleans at the first leader tick, not again within 24 h (not even by a new leader), and again a day later", async () => {
    const t0 = new Date("2030-06-01T00:00:00Z");
    const clock = { now: t0 };
    const old = await endedRun("old", new Date(t0.getTime() - 100 * DAY_MS));
    const young = await endedRun("young", new Date(t0.getTime() - 80 * DAY_MS));

    // Without RUNNEL_RETENTION nothing is cleaned.
    const off = loopAt(clock, null);
    await off.tick();
    await off.stop();
    expect(await exists(old)).toBe(true);

    const loop = loopAt(clock, 90 * DAY_MS);
    await loop.tick();
    expect(await loop.retention!.lastClean()).toMatchObject({ dag_runs: 1 });
    expect(await exists(old)).toBe(false);
    expect(await exists(young)).toBe(true);
    await loop.stop();

    // 23 h later, another scheduler leads: the daily clean is not due; "young" is now 91 days old but stays.
    clock.now = new Date(t0.getTime() + 23 * 3_600_000);
    const next = loopAt(clock, 10 * DAY_MS);
    await next.tick();
    expect(await next.retention!.lastClean()).toBeNull();
    expect(await exists(young)).toBe(true);
    // 25 h after the first clean it is due again (the same loop: its once-a-minute check has passed).
    clock.now = new Date(t0.getTime() + 25 * 3_600_000);
    await next.tick();
    expect(await next.retention!.lastClean()).toMatchObject({ dag_runs: 1 });
    expect(await exists(young)).toBe(false);
    await next.stop();
    expect((await env.db("maintenance_jobs").where({ job: "history_cleanup" }).first<{ last_run_at: Date }>())!.last_run_at.toISOString()).toBe(clock.now.toISOString());
  });

  it("cleans in batches: a batch size of 2 deletes all 5 old runs, and the dry run counted the same", async () => {
    const cutoff = new Date("2031-01-01T00:00:00Z");
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await endedRun(`batch_${i}`, new Date(cutoff.getTime() - (i + 1) * DAY_MS)));
    const dry = await cleanHistory(env.db, { before: cutoff, dagId: "lineage_c", dryRun: true, batchSize: 2 });
    expect(dry.dag_runs).toBe(5);
    const real = await cleanHistory(env.db, { before: cutoff, dagId: "lineage_c", batchSize: 2 });
    expect(real).toEqual(dry);
    for (const id of made) expect(await exists(id)).toBe(false);
  });

  it("keeps a DAG's newest scheduled run however old, so run creation does not catch up over the deleted dates", async () => {
    const cutoff = new Date("2032-01-01T00:00:00Z");
    const older = await endedRun("sched_1", new Date(cutoff.getTime() - 3 * DAY_MS), "scheduled");
    const newest = await endedRun("sched_2", new Date(cutoff.getTime() - 2 * DAY_MS), "scheduled");
    const counts = await cleanHistory(env.db, { before: cutoff, dagId: "lineage_c" });
    expect(counts.dag_runs).toBe(1);
    expect(await exists(older)).toBe(false);
    expect(await exists(newest)).toBe(true);
  });

  it("keeps the runs of an unfinished backfill and of a running reprocess; once they are done the runs go and their links with them", async () => {
    const cutoff = new Date("2033-01-01T00:00:00Z");
    const ended = new Date(cutoff.getTime() - DAY_MS);
    const backfilled = await endedRun("of_backfill", ended);
    const reprocessed = await endedRun("of_reprocess", ended);
    const [bf] = await env.db("backfills").insert({ dag_id: "lineage_c", from_date: ended, to_date: ended, state: "running" }).returning<Array<{ id: number }>>("id");
    await env.db("backfill_dates").insert({ backfill_id: bf!.id, logical_date: ended, data_interval_end: ended, action: "create", dag_run_id: backfilled, launched_at: ended });
    const [rp] = await env.db("reprocesses").insert({ uri: "warehouse.lin_c_z", partition: "2024-01-01", requested_by: "test", state: "running" }).returning<Array<{ id: number }>>("id");
    await env.db("reprocess_runs").insert({ reprocess_id: rp!.id, dag_run_id: reprocessed, wave: 1, task_ids: ["load_z"] });

    expect((await cleanHistory(env.db, { before: cutoff, dagId: "lineage_c" })).dag_runs).toBe(0);
    expect(await exists(backfilled)).toBe(true);
    expect(await exists(reprocessed)).toBe(true);

    await env.db("backfills").where({ id: bf!.id }).update({ state: "completed" });
    await env.db("reprocesses").where({ id: rp!.id }).update({ state: "completed" });
    expect(await cleanHistory(env.db, { before: cutoff, dagId: "lineage_c" })).toMatchObject({ dag_runs: 2, reprocess_runs: 1 });
    expect(await exists(backfilled)).toBe(false);
    expect(await exists(reprocessed)).toBe(false);
    // The backfill's date stays, no longer linked to a run.
    expect(await env.db("backfill_dates").where({ backfill_id: bf!.id }).pluck("dag_run_id")).toEqual([null]);
  });
});
