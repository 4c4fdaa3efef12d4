/**
 * The idle scheduler tick at 1,000 DAG files (peers phase): a generated folder of `count` small
 * `@daily` DAGs (two no-op tasks each) in a fresh database. The harness opens it (load + sync
 * timed), each DAG's latest interval runs once (catchup off) and ends; then the scheduler loop is
 * stopped and SchedulerLoop.tick() is timed directly, on an engine with nothing due or running.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import type { Cleanup } from "./cleanup";
import { RunnelHarness } from "./runnelHarness";
import { percentile } from "./stats";

/** Under server/ (so a DAG file's `import "runnel"` resolves to this package); `.tmp/` is git-ignored. */
const TMP_ROOT = fileURLToPath(new URL("./.tmp/", import.meta.url));
/**
 * Worker slots here: the case times idle ticks, not throughput, and 1,000 first runs at the bench's
 * 256 slots (a Runnel pool of up to 260 clients) ran PostgreSQL out of its 100 connections.
 */
const IDLE_CONCURRENCY = 32;

export interface IdleTickResult {
  dags: number;
  /** RunnelHarness.open: load every file, sync the DAG versions, start scheduler and worker. */
  loadMs: number;
  /** Harness open -> every DAG's first run ended. */
  firstRunsMs: number;
  tickMs: number[];
  p50: number;
  max: number;
}

function dagSource(i: number): string {
  const id = `idle_${String(i).padStart(5, "0")}`;
  return `import { defineDag } from "runnel";

export default defineDag({ id: "${id}", schedule: "@daily", startDate: "2023-01-01", catchup: false, tags: ["bench"] }, (dag) => {
  const a = dag.task("a", { run: () => undefined });
  dag.task("b", { needs: { a }, run: () => undefined });
});
`;
}

async function waitIdle(h: RunnelHarness, dags: number, capMs: number): Promise<void> {
  const deadline = Date.now() + capMs;
  for (;;) {
    const row = (
      await h.rt.db.raw<{ rows: { runs: string; open: string }[] }>(`SELECT count(*) AS runs, count(*) FILTER (WHERE state IN ('queued', 'running')) AS open FROM dag_runs`)
    ).rows[0];
    if (Number(row?.runs) >= dags && Number(row?.open) === 0) return;
    if (Date.now() > deadline) throw new Error(`idle tick: the first runs of ${dags} DAGs did not end within ${capMs} ms (${row?.runs} runs, ${row?.open} open)`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function measureIdleTick(o: { dags: number; ticks: number; concurrency: number; intervalMs: number }, cleanup: Cleanup, log: (s: string) => void): Promise<IdleTickResult> {
  const folder = `${TMP_ROOT}dags${o.dags}-${randomBytes(4).toString("hex")}/`;
  await mkdir(folder, { recursive: true });
  try {
    for (let i = 0; i < o.dags; i++) await writeFile(`${folder}idle_${String(i).padStart(5, "0")}.ts`, dagSource(i));
    const db = await createBenchDatabase();
    cleanup.peerDbs.push(db);
    log(`idle tick: loading ${o.dags} generated DAG files (database ${db.name})`);
    const t0 = performance.now();
    const h = await RunnelHarness.open({ databaseUrl: db.url, redisUrl: BENCH_REDIS_URL, prefix: cleanup.prefix("idle"), concurrency: Math.min(o.concurrency, IDLE_CONCURRENCY), schedulerIntervalMs: o.intervalMs, migrate: true, dagsFolder: folder });
    try {
      const loadMs = performance.now() - t0;
      log(`idle tick: loaded in ${(loadMs / 1000).toFixed(1)} s; waiting for each DAG's first run to end`);
      const t1 = performance.now();
      await waitIdle(h, o.dags, 300_000);
      const firstRunsMs = performance.now() - t1;
      await h.scheduler.stop();
      await h.scheduler.tick(); // reconnects the leader lock; not counted
      const tickMs: number[] = [];
      for (let i = 0; i < o.ticks; i++) {
        const s = performance.now();
        await h.scheduler.tick();
        tickMs.push(performance.now() - s);
      }
      return { dags: o.dags, loadMs, firstRunsMs, tickMs, p50: percentile(tickMs, 50), max: Math.max(...tickMs) };
    } finally {
      await h.close();
      await db.drop();
      cleanup.peerDbs.splice(cleanup.peerDbs.indexOf(db), 1);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
