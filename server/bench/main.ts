/**
 * `pnpm bench`: raw BullMQ against Runnel end to end, in one process, on the same Redis.
 *
 *   raw BullMQ   no-op jobs through a bare Queue/Worker: throughput, and job-to-next-job
 *                latency along a chain (each job's processor adds the next one)
 *   Runnel       (a) no-op task throughput over many runs of bench_fanout (10 tasks),
 *                (b) upstream end -> downstream start along bench_chain (50 tasks),
 *                (c) peak RSS of this process during the Runnel phases
 *   backfill     a 365-day backfill of a 10-task no-op `@daily` DAG in a second fresh database:
 *                dry run, creation, all runs created, all 3,650 tasks finished, tasks/sec and
 *                its ratio to the raw BullMQ jobs/sec above (backfillBench.ts)
 *   API scale    p50/p95/p99 of the grid, runs and DAG endpoints over 10,000 seeded runs of a
 *                20-task DAG, in a third fresh database (apiScale.ts)
 *   peers        Runnel against graphile-worker and BullMQ (40-task chain, 10 chains at once, a
 *                1,000-wide fan-out + join), interleaved and repeated; Runnel's fan-out per task
 *                at width 100 / 1,000 / 10,000, trigger -> first start, and the idle tick with
 *                1,000 DAG files (peers.ts); issue 11's goals as PASS/FAIL
 *   CLI          `pnpm runnel --help` and `pnpm runnel dags list` wall time (cliStartup.ts)
 *
 * Prints a table and writes server/bench/results.json. Fresh databases and random BullMQ
 * prefixes are used and removed at the end.
 *
 * Options (also as env): --concurrency N (BENCH_CONCURRENCY), --runs N (fan-out runs),
 * --chain-runs N, --interval MS (scheduler tick), --sweep 8,16,32 (compare worker concurrencies,
 * writes nothing), --profile (per-statement SQL and Redis commands per task), --no-write,
 * --no-api-scale (skip the API scale phase), --api-scale-only (only that phase; its figures
 * replace the `apiScale` key of results.json), --api-runs N (BENCH_API_RUNS, default 10000),
 * --api-requests N (BENCH_API_REQUESTS, default 200), --no-backfill (skip the backfill phase),
 * --backfill-only (raw BullMQ throughput and the backfill phase; replaces the `backfill` key),
 * --backfill-max-active-runs N (BENCH_BACKFILL_MAX_ACTIVE_RUNS, default 100),
 * --no-peers (skip the peers phase), --peers-only (only that phase; replaces `peers`, `scale`,
 * `ratios.*VsGraphile` and `runnel.triggerToStartMs`), --peers-repeats N (BENCH_PEERS_REPEATS,
 * default 3), --peers-interval MS (Runnel's tick there, BENCH_PEERS_INTERVAL_MS, default 1000 =
 * Runnel's default), --peers-widths 100,1000 (BENCH_PEERS_WIDTHS, default 100,1000,10000),
 * --peers-wide-cap S (BENCH_PEERS_WIDE_CAP_S, default 120: width 10,000 is cut there),
 * --idle-dags N (BENCH_IDLE_DAGS, default 1000; 0 skips the idle-tick case),
 * --no-cli (skip the CLI start-up case), --cli-only (only that case: `pnpm runnel --help` and
 * `pnpm runnel dags list`; replaces the `cli` key), --cli-runs N (BENCH_CLI_RUNS, default 5).
 * A phase that is skipped keeps its key from the previous results.json.
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { measureApiScale, printApiScale, type ApiScaleResult } from "./apiScale";
import { printBackfill, runBackfillBench, type BackfillBenchResult } from "./backfillBench";
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import { measureCliStartup, printCliStartup, type CliStartupResult } from "./cliStartup";
import { Cleanup } from "./cleanup";
import { measureRaw, measureRunnel } from "./measure";
import { options, type Options } from "./options";
import { runPeers } from "./peers";
import { issue11Goals, peersFigures, printPeers, type PeersFigures } from "./peersReport";
import { rawThroughput } from "./rawBullmq";
import { ratio, report } from "./report";
import { fmt, summarize } from "./stats";

const RESULTS_PATH = fileURLToPath(new URL("./results.json", import.meta.url));

type Log = (s: string) => void;

/** The API scale phase in its own fresh database (dropped right after). */
async function runApiScale(o: Options, cleanup: Cleanup, log: Log): Promise<ApiScaleResult> {
  cleanup.apiDb = await createBenchDatabase();
  log(`API scale: database ${cleanup.apiDb.name}`);
  try {
    const r = await measureApiScale(cleanup.apiDb, { runs: o.apiRuns, requests: o.apiRequests, redisUrl: BENCH_REDIS_URL, prefix: cleanup.prefix("api") }, log);
    printApiScale(r);
    return r;
  } finally {
    await cleanup.apiDb.drop();
    cleanup.apiDb = undefined;
  }
}

/** The CLI start-up case: prints its table and returns its figures. */
async function runCliStartup(o: Options, log: Log): Promise<CliStartupResult> {
  const r = await measureCliStartup(o.cliRuns, log);
  printCliStartup(r);
  return r;
}

/** The backfill phase, compared with `rawJobsPerSec` from the same bench run. */
async function runBackfill(o: Options, rawJobsPerSec: number, cleanup: Cleanup, log: Log): Promise<BackfillBenchResult> {
  const r = await runBackfillBench({ concurrency: o.concurrency, schedulerIntervalMs: o.intervalMs, maxActiveRuns: o.backfillMaxActiveRuns, rawJobsPerSec }, cleanup, log);
  printBackfill(r);
  return r;
}

/** The peers phase: prints its table and returns its figures. */
async function runPeersPhase(o: Options, cleanup: Cleanup, log: Log): Promise<PeersFigures> {
  const r = await runPeers(
    { concurrency: o.concurrency, intervalMs: o.peersIntervalMs, repeats: o.peersRepeats, widths: o.peersWidths, wideCapMs: o.peersWideCapMs, triggerSamples: 20, idleDags: o.idleDags, idleTicks: 20 },
    cleanup,
    log,
  );
  printPeers(r);
  return peersFigures(r);
}

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (x && typeof x === "object" ? (x as Json) : {});

/** The peers figures of an earlier results.json (kept when this run skipped the phase). */
function previousPeers(previous: Json): Json {
  const ratios = Object.fromEntries(Object.entries(obj(previous.ratios)).filter(([k]) => k.endsWith("VsGraphile")));
  const tts = obj(previous.runnel).triggerToStartMs;
  return { peers: previous.peers, scale: previous.scale, ratios, runnel: tts === undefined ? {} : { triggerToStartMs: tts } };
}

/** `base` with the peers figures merged in: `peers` and the measured `scale` cases replaced, `ratios` and `runnel` extended. */
function withPeers(base: Json, f: Json): Json {
  const out: Json = { ...base, ratios: { ...obj(base.ratios), ...obj(f.ratios) }, runnel: { ...obj(base.runnel), ...obj(f.runnel) } };
  if (f.peers !== undefined) out.peers = f.peers;
  if (f.scale !== undefined) out.scale = f.scale;
  return out;
}

/** Writes results.json, keeping the keys of the previous file that this run did not measure. */
async function writeResults(results: Json, peers: PeersFigures | undefined): Promise<void> {
  const previous = JSON.parse(await readFile(RESULTS_PATH, "utf8").catch(() => "{}")) as Json;
  const base = "runnel" in results ? { ...results, apiScale: results.apiScale ?? previous.apiScale, backfill: results.backfill ?? previous.backfill, cli: results.cli ?? previous.cli } : { ...previous, ...results };
  const merged = withPeers(base, peers ? (peers as unknown as Json) : previousPeers(previous));
  // Scale cases this run did not measure (bench/scale.ts's dags10000) stay.
  merged.scale = { ...obj(previous.scale), ...obj(merged.scale) };
  await writeFile(RESULTS_PATH, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS_PATH}`);
}

/** `--sweep`: the head-to-head at each worker concurrency, one line each; writes nothing. */
async function runSweep(o: Options, sweep: readonly number[], cleanup: Cleanup, log: Log): Promise<void> {
  const db = cleanup.db;
  if (!db) throw new Error("the bench database is not open");
  const lines: string[] = [];
  let migrate = true;
  for (const c of sweep) {
    const raw = await measureRaw(o, c, cleanup, log);
    const rn = await measureRunnel(o, c, migrate, db, cleanup, log);
    migrate = false;
    const lat = summarize(rn.chain.latencyMs);
    lines.push(
      `${String(c).padStart(11)} ${fmt(raw.throughput.jobsPerSec, 0).padStart(10)} ${fmt(rn.throughput.tasksPerSec, 0).padStart(10)} ${fmt(rn.throughput.execTasksPerSec, 0).padStart(10)} ${fmt(ratio(rn.throughput.tasksPerSec, raw.throughput.jobsPerSec), 3).padStart(7)} ${fmt(raw.chain.latencyMs.p50, 2).padStart(8)} ${fmt(lat.p50, 2).padStart(8)} ${fmt(lat.p99, 2).padStart(8)} ${fmt(rn.peakRssMb, 0).padStart(7)}`,
    );
  }
  console.log(`\nconcurrency  raw job/s  Runnel/s  exec/s   ratio  raw p50  Rn p50   Rn p99   RSS MB`);
  for (const l of lines) console.log(l);
}

/** Prints issue 11's goals that this run measured. */
function printIssue11Goals(results: Json, peers: PeersFigures | undefined): void {
  const num = (x: unknown): number | undefined => (typeof x === "number" ? x : undefined);
  const goals = issue11Goals(peers, {
    throughputRatio: num(obj(results.ratios).throughput),
    interTaskP50Ms: num(obj(obj(results.runnel).interTaskLatencyMs).p50),
    backfillTotalMs: num(obj(results.backfill).totalMs),
  });
  if (!goals.length) return;
  console.log(`\nIssue 11 goals (this run):`);
  for (const [g, ok] of goals) console.log(`  ${ok ? "PASS" : "FAIL"}  ${g}`);
}

/** The full bench (or `--backfill-only`): raw BullMQ, Runnel, backfill, API scale and peers phases. */
async function runAll(o: Options, cleanup: Cleanup, log: Log): Promise<{ results: Json; peers: PeersFigures | undefined }> {
  if (o.backfill === "only") {
    log(`raw BullMQ: warm-up, then ${o.rawJobs} no-op jobs, concurrency ${o.concurrency}`);
    await rawThroughput(BENCH_REDIS_URL, cleanup.prefix("rawwarm"), o.concurrency, 1000);
    const raw = await rawThroughput(BENCH_REDIS_URL, cleanup.prefix("raw"), o.concurrency, o.rawJobs);
    return { results: { backfill: await runBackfill(o, raw.jobsPerSec, cleanup, log) }, peers: undefined };
  }
  const db = await createBenchDatabase();
  cleanup.db = db;
  log(`bench database ${db.name}, Redis ${BENCH_REDIS_URL}`);
  const raw = await measureRaw(o, o.concurrency, cleanup, log);
  const rn = await measureRunnel(o, o.concurrency, true, db, cleanup, log);
  const results = report(o, o.concurrency, raw, rn);
  if (o.backfill === "also") results.backfill = await runBackfill(o, raw.throughput.jobsPerSec, cleanup, log);
  if (o.apiScale === "also") results.apiScale = await runApiScale(o, cleanup, log);
  await cleanup.db?.drop();
  cleanup.db = undefined;
  if (o.cli === "also") results.cli = await runCliStartup(o, log);
  const peers = o.peers === "also" ? await runPeersPhase(o, cleanup, log) : undefined;
  return { results, peers };
}

async function main(): Promise<void> {
  const o = options();
  const cleanup = new Cleanup();
  const started = Date.now();
  const log: Log = (s) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${s}`);
  const onSignal = (): void => {
    console.error("\ninterrupted: cleaning up");
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (o.cli === "only") {
      const cli = await runCliStartup(o, log);
      if (o.write) await writeResults({ cli }, undefined);
    } else if (o.apiScale === "only") {
      const apiScale = await runApiScale(o, cleanup, log);
      if (o.write) await writeResults({ apiScale }, undefined);
    } else if (o.sweep) {
      cleanup.db = await createBenchDatabase();
      log(`bench database ${cleanup.db.name}, Redis ${BENCH_REDIS_URL}`);
      await runSweep(o, o.sweep, cleanup, log);
    } else if (o.peers === "only") {
      const peers = await runPeersPhase(o, cleanup, log);
      printIssue11Goals({}, peers);
      if (o.write) await writeResults({}, peers);
    } else {
      const { results, peers } = await runAll(o, cleanup, log);
      printIssue11Goals(results, peers);
      if (o.write) await writeResults(results, peers);
    }
    log("done");
  } finally {
    await cleanup.run();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
