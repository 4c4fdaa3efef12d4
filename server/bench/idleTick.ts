/**
 * The idle scheduler tick at 1,000 DAG files (peers phase): a generated folder of `count` small
 * `@daily` DAGs (two no-op tasks each) in a fresh database. The harness opens it (load + sync
 * timed, peak RSS sampled), each DAG's latest interval runs once (catchup off) and ends; then the
 * scheduler loop is stopped and SchedulerLoop.tick() is timed directly, on an engine with nothing
 * due or running; last, one file is edited and the registry refresh that reloads it is timed.
 */
import { mkdir, rm, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import type { Cleanup } from "./cleanup";
import { RssSampler } from "./rss";
import { RunnelHarness } from "./runnelHarness";
import { fmt, percentile, round2 } from "./stats";

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
  /** Peak RSS of this process (scheduler, worker and bench) from the start of loading to the last tick, MB. */
  rssMb: number;
  /** Registry refresh after one DAG file of `dags` was edited (the file reloaded and the folder synced). */
  reloadOneMs: number;
  /** Harness open -> every DAG's first run ended. */
  firstRunsMs: number;
  tickMs: number[];
  p50: number;
  max: number;
}

function dagSource(i: number, tag = "bench"): string {
  const id = `idle_${String(i).padStart(5, "0")}`;
  return `import { defineDag } from "runnel";

export default defineDag({ id: "${id}", schedule: "@daily", startDate: "2023-01-01", catchup: false, tags: ["${tag}"] }, (dag) => {
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
    const rss = new RssSampler();
    rss.start(200);
    const t0 = performance.now();
    const h = await RunnelHarness.open({ databaseUrl: db.url, redisUrl: BENCH_REDIS_URL, prefix: cleanup.prefix("idle"), concurrency: Math.min(o.concurrency, IDLE_CONCURRENCY), schedulerIntervalMs: o.intervalMs, migrate: true, dagsFolder: folder });
    try {
      const loadMs = performance.now() - t0;
      log(`idle tick: loaded in ${(loadMs / 1000).toFixed(1)} s; waiting for each DAG's first run to end`);
      const t1 = performance.now();
      await waitIdle(h, o.dags, Math.max(300_000, o.dags * 60));
      const firstRunsMs = performance.now() - t1;
      await h.scheduler.stop();
      await h.scheduler.tick(); // reconnects the leader lock; not counted
      const tickMs: number[] = [];
      for (let i = 0; i < o.ticks; i++) {
        const s = performance.now();
        await h.scheduler.tick();
        tickMs.push(performance.now() - s);
      }
      const rssMb = rss.stop();
      await writeFile(`${folder}idle_00000.ts`, dagSource(0, "edited"));
      const r0 = performance.now();
      await h.rt.registry.refresh();
      const reloadOneMs = performance.now() - r0;
      if (h.rt.registry.get("idle_00000")?.serialized.tags[0] !== "edited") throw new Error("idle tick: the edited DAG file was not reloaded");
      return { dags: o.dags, loadMs, rssMb, reloadOneMs, firstRunsMs, tickMs, p50: percentile(tickMs, 50), max: Math.max(...tickMs) };
    } finally {
      rss.stop();
      await h.close();
      await db.drop();
      cleanup.peerDbs.splice(cleanup.peerDbs.indexOf(db), 1);
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** The figures results.json keeps of one idle-tick case (`scale.dags<count>`). */
export interface IdleTickFigures {
  idleTickMs: { p50: number; max: number; n: number };
  dags: number;
  loadMs: number;
  rssMb: number;
  reloadOneMs: number;
  firstRunsMs: number;
}

export function idleTickFigures(r: IdleTickResult): IdleTickFigures {
  return {
    idleTickMs: { p50: round2(r.p50), max: round2(r.max), n: r.tickMs.length },
    dags: r.dags,
    loadMs: round2(r.loadMs),
    rssMb: round2(r.rssMb),
    reloadOneMs: round2(r.reloadOneMs),
    firstRunsMs: round2(r.firstRunsMs),
  };
}

/** One line per idle-tick case. */
export function describeIdleTick(i: IdleTickResult): string {
  return `${i.dags} DAG files: load + sync + start ${fmt(i.loadMs / 1000, 1)} s (peak RSS ${fmt(i.rssMb, 0)} MB), first runs ended ${fmt(i.firstRunsMs / 1000, 1)} s, idle tick p50 ${fmt(i.p50, 1)} ms, max ${fmt(i.max, 1)} ms (${i.tickMs.length} ticks), reload after editing one file ${fmt(i.reloadOneMs, 0)} ms`;
}
