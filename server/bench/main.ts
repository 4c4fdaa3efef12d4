/**
 * `pnpm bench`: raw BullMQ against Runnel end to end, in one process, on the same Redis.
 *
 *   raw BullMQ   no-op jobs through a bare Queue/Worker: throughput, and job-to-next-job
 *                latency along a chain (each job's processor adds the next one)
 *   Runnel       (a) no-op task throughput over many runs of bench_fanout (10 tasks),
 *                (b) upstream end -> downstream start along bench_chain (50 tasks),
 *                (c) peak RSS of this process during the Runnel phases
 *   API scale    p50/p95/p99 of the grid, runs and DAG endpoints over 10,000 seeded runs of a
 *                20-task DAG, in a second fresh database (apiScale.ts)
 *
 * Prints a table and writes server/bench/results.json. A fresh database and random BullMQ
 * prefixes are used and removed at the end.
 *
 * Options (also as env): --concurrency N (BENCH_CONCURRENCY), --runs N (fan-out runs),
 * --chain-runs N, --interval MS (scheduler tick), --sweep 8,16,32 (compare worker concurrencies,
 * writes nothing), --profile (per-statement SQL and Redis commands per task), --no-write,
 * --no-api-scale (skip the API scale phase), --api-scale-only (only that phase; its figures
 * replace the `apiScale` key of results.json), --api-runs N (BENCH_API_RUNS, default 10000),
 * --api-requests N (BENCH_API_REQUESTS, default 200).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureApiScale, printApiScale, type ApiScaleResult } from "./apiScale";
import { CpuMeter, type CpuReport } from "./cpu";
import { BENCH_ADMIN_URL, BENCH_REDIS_URL, benchPrefix, createBenchDatabase, deleteKeysWithPrefix, type BenchDatabase } from "./benchDb";
import { rawChain, rawThroughput, type RawChain, type RawThroughput } from "./rawBullmq";
import { RssSampler, vmHwmMb } from "./rss";
import { runnelChain, type RunnelChain } from "./runnelChain";
import { RunnelHarness } from "./runnelHarness";
import { runnelThroughput, type RunnelThroughput } from "./runnelThroughput";
import { RedisCommandCounter, SqlProfiler, type StatementStat } from "./sqlProfile";
import { fmt, percentile, round2, summarize } from "./stats";

const RESULTS_PATH = fileURLToPath(new URL("./results.json", import.meta.url));

/**
 * Slots per worker, the same for raw BullMQ and Runnel. Bench tasks are no-op and async, so a
 * slot is mostly waiting on Postgres/Redis round trips; many slots let Runnel's workers batch
 * claims and completions (MicroBatcher). Raw BullMQ is flat from 16 to 256 on the 2-core box;
 * Runnel rises from ~490/s at 16 to ~1000/s at 256 (see `--sweep 16,64,256`).
 */
const DEFAULT_CONCURRENCY = 256;

const GOALS = { throughputRatio: 0.25, latencyP50Ms: 5, latencyP99Ms: 25 };

interface Options {
  concurrency: number;
  runs: number;
  chainRuns: number;
  rawJobs: number;
  rawChainJobs: number;
  intervalMs: number;
  sweep: number[] | null;
  profile: boolean;
  write: boolean;
  apiScale: "skip" | "also" | "only";
  apiRuns: number;
  apiRequests: number;
}

function options(): Options {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== "--"),
    options: {
      concurrency: { type: "string" },
      runs: { type: "string" },
      "chain-runs": { type: "string" },
      "raw-jobs": { type: "string" },
      interval: { type: "string" },
      sweep: { type: "string" },
      profile: { type: "boolean", default: false },
      "no-write": { type: "boolean", default: false },
      "no-api-scale": { type: "boolean", default: false },
      "api-scale-only": { type: "boolean", default: false },
      "api-runs": { type: "string" },
      "api-requests": { type: "string" },
    },
    strict: true,
  });
  const int = (v: string | undefined, env: string, dflt: number): number => {
    const raw = v ?? process.env[env];
    if (raw === undefined || raw === "") return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${env} / option must be a positive integer, got ${JSON.stringify(raw)}`);
    return n;
  };
  const sweepRaw = values.sweep ?? process.env.BENCH_SWEEP;
  return {
    concurrency: int(values.concurrency, "BENCH_CONCURRENCY", DEFAULT_CONCURRENCY),
    runs: int(values.runs, "BENCH_RUNS", 400),
    chainRuns: int(values["chain-runs"], "BENCH_CHAIN_RUNS", 8),
    rawJobs: int(values["raw-jobs"], "BENCH_RAW_JOBS", 10_000),
    rawChainJobs: 200,
    intervalMs: int(values.interval, "BENCH_SCHEDULER_INTERVAL_MS", 100),
    sweep: sweepRaw ? sweepRaw.split(",").map((s) => int(s.trim(), "BENCH_SWEEP", 1)) : null,
    profile: values.profile || process.env.BENCH_PROFILE === "1",
    write: !values["no-write"],
    apiScale: values["api-scale-only"] ? "only" : values["no-api-scale"] ? "skip" : "also",
    apiRuns: int(values["api-runs"], "BENCH_API_RUNS", 10_000),
    apiRequests: int(values["api-requests"], "BENCH_API_REQUESTS", 200),
  };
}

/** Everything that must be removed at the end, even after a failure or Ctrl-C. */
class Cleanup {
  db: BenchDatabase | undefined;
  /** The API scale phase's own database. */
  apiDb: BenchDatabase | undefined;
  readonly prefixes: string[] = [];
  private done = false;

  prefix(label: string): string {
    const p = benchPrefix(label);
    this.prefixes.push(p);
    return p;
  }

  async run(): Promise<void> {
    if (this.done) return;
    this.done = true;
    for (const db of [this.db, this.apiDb]) await db?.drop().catch((err: unknown) => console.error(`could not drop bench database ${db.name}: ${(err as Error).message}`));
    await deleteKeysWithPrefix(BENCH_REDIS_URL, this.prefixes).catch((err: unknown) => console.error(`could not delete bench Redis keys: ${(err as Error).message}`));
  }
}

interface RawResult {
  throughput: RawThroughput;
  chain: RawChain;
  cpu: CpuReport;
  /** Redis commands per chain job (profile only). */
  redisPerJob?: [string, number][];
}

async function measureRaw(o: Options, concurrency: number, cleanup: Cleanup, log: (s: string) => void): Promise<RawResult> {
  log(`raw BullMQ: warm-up`);
  await rawThroughput(BENCH_REDIS_URL, cleanup.prefix("rawwarm"), concurrency, 1000);
  await rawChain(BENCH_REDIS_URL, cleanup.prefix("rawwarm"), concurrency, 50);
  log(`raw BullMQ: ${o.rawJobs} no-op jobs, concurrency ${concurrency}`);
  const meter = new CpuMeter({ adminUrl: BENCH_ADMIN_URL, redisUrl: BENCH_REDIS_URL });
  await meter.start();
  const throughput = await rawThroughput(BENCH_REDIS_URL, cleanup.prefix("raw"), concurrency, o.rawJobs);
  const cpu = await meter.stop();
  log(`raw BullMQ: chain of ${o.rawChainJobs} jobs`);
  const counter = o.profile ? new RedisCommandCounter() : undefined;
  counter?.start();
  const chain = await rawChain(BENCH_REDIS_URL, cleanup.prefix("rawchain"), concurrency, o.rawChainJobs);
  const redisPerJob = counter?.stop();
  return { throughput, chain, cpu, redisPerJob };
}

interface RunnelResult {
  throughput: RunnelThroughput;
  chain: RunnelChain;
  peakRssMb: number;
  cpu: CpuReport;
  chainCpu: CpuReport;
  profile?: { perTask: StatementStat[]; tasks: number; redis: [string, number][]; fanout: StatementStat[]; fanoutTasks: number };
}

async function measureRunnel(o: Options, concurrency: number, migrate: boolean, bench: BenchDatabase, cleanup: Cleanup, log: (s: string) => void): Promise<RunnelResult> {
  const databaseUrl = bench.url;
  const meter = new CpuMeter({ adminUrl: BENCH_ADMIN_URL, redisUrl: BENCH_REDIS_URL, database: bench.name });
  const rss = new RssSampler();
  rss.start(50);
  log(`Runnel: opening runtime (scheduler every ${o.intervalMs} ms + worker, concurrency ${concurrency})`);
  const h = await RunnelHarness.open({ databaseUrl, redisUrl: BENCH_REDIS_URL, prefix: cleanup.prefix("runnel"), concurrency, schedulerIntervalMs: o.intervalMs, migrate });
  try {
    log(`Runnel: warm-up`);
    await runnelThroughput(h, 20, `warm${concurrency}`);
    await runnelChain(h, 1, `warmchain${concurrency}_`);
    log(`Runnel: ${o.runs} runs of bench_fanout (${o.runs * 10} tasks)`);
    await meter.start();
    const throughput = await runnelThroughput(h, o.runs, `fanout${concurrency}`);
    const cpu = await meter.stop();
    log(`Runnel: ${o.chainRuns} runs of bench_chain, one at a time`);
    await meter.start();
    const chain = await runnelChain(h, o.chainRuns, `chain${concurrency}_`);
    const chainCpu = await meter.stop();
    const peakRssMb = rss.stop();
    let profile: RunnelResult["profile"];
    if (o.profile) {
      log(`Runnel: profiling (SQL statements and Redis commands) over 4 more chain runs and 50 fan-out runs`);
      const prof = new SqlProfiler();
      const counter = new RedisCommandCounter();
      prof.start();
      counter.start();
      const pc = await runnelChain(h, 4, `prof${concurrency}_`);
      const redis = counter.stop();
      const perTask = prof.stop();
      const fprof = new SqlProfiler();
      fprof.start();
      const ft = await runnelThroughput(h, 50, `proffan${concurrency}`);
      const fanout = fprof.stop();
      profile = { perTask, tasks: pc.busyMs.length, redis, fanout, fanoutTasks: ft.tasks };
    }
    return { throughput, chain, peakRssMb, cpu, chainCpu, profile };
  } finally {
    rss.stop();
    await h.close();
  }
}

function printProfile(p: NonNullable<RunnelResult["profile"]>, rawRedis: [string, number][] | undefined, rawJobs: number): void {
  const table = (title: string, stats: StatementStat[], tasks: number): void => {
    const total = stats.reduce((a, s) => a + s.count, 0);
    console.log(`\n${title}: ${total} statements for ${tasks} tasks = ${fmt(total / tasks)} per task`);
    console.log(`  ${"per task".padStart(8)} ${"mean ms".padStart(8)} ${"total ms".padStart(9)}  statement`);
    for (const s of stats.slice(0, 25)) console.log(`  ${fmt(s.count / tasks).padStart(8)} ${fmt(s.meanMs, 3).padStart(8)} ${fmt(s.totalMs, 1).padStart(9)}  ${s.statement}`);
  };
  table("SQL on the chain (sequential, unloaded)", p.perTask, p.tasks);
  table("SQL on 50 fan-out runs (loaded)", p.fanout, p.fanoutTasks);
  const redisTable = (title: string, calls: [string, number][], per: number): void => {
    const total = calls.reduce((a, [, n]) => a + n, 0);
    console.log(`\n${title}: ${total} commands = ${fmt(total / per)} per ${title.startsWith("raw") ? "job" : "task"} (this process, ioredis)`);
    for (const [cmd, n] of calls.slice(0, 14)) console.log(`  ${fmt(n / per).padStart(8)}  ${cmd}`);
  };
  redisTable("Runnel chain, Redis", p.redis, p.tasks);
  if (rawRedis) redisTable("raw BullMQ chain, Redis", rawRedis, rawJobs);
}

function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

function report(o: Options, concurrency: number, raw: RawResult, rn: RunnelResult): Record<string, unknown> {
  const lat = summarize(rn.chain.latencyMs);
  const rawLat = raw.chain.latencyMs;
  const thrRatio = ratio(rn.throughput.tasksPerSec, raw.throughput.jobsPerSec);
  const rows: [string, string, string, string][] = [
    ["throughput (no-op, per s)", fmt(raw.throughput.jobsPerSec, 0), fmt(rn.throughput.tasksPerSec, 0), fmt(thrRatio, 3)],
    ["  execution window only", "", fmt(rn.throughput.execTasksPerSec, 0), fmt(ratio(rn.throughput.execTasksPerSec, raw.throughput.jobsPerSec), 3)],
    ["next-task latency p50 ms", fmt(rawLat.p50, 3), fmt(lat.p50, 3), fmt(ratio(lat.p50, rawLat.p50), 1)],
    ["next-task latency p90 ms", fmt(rawLat.p90, 3), fmt(lat.p90, 3), fmt(ratio(lat.p90, rawLat.p90), 1)],
    ["next-task latency p99 ms", fmt(rawLat.p99, 3), fmt(lat.p99, 3), fmt(ratio(lat.p99, rawLat.p99), 1)],
    ["next-task latency max ms", fmt(rawLat.max, 3), fmt(lat.max, 3), ""],
    ["peak RSS MB (Runnel phases)", "", fmt(rn.peakRssMb, 1), ""],
  ];
  console.log(`\nRunnel bench — worker concurrency ${concurrency}, scheduler tick ${o.intervalMs} ms, ${rn.throughput.runs} fan-out runs (${rn.throughput.tasks} tasks), ${rn.chain.runs} chain runs (${rn.chain.latencyMs.length} pairs), raw: ${raw.throughput.jobs} jobs / chain of ${raw.chain.jobs}`);
  console.log(`${"".padEnd(30)} ${"raw BullMQ".padStart(12)} ${"Runnel".padStart(12)} ${"Runnel/raw".padStart(11)}`);
  for (const [name, a, b, c] of rows) console.log(`${name.padEnd(30)} ${a.padStart(12)} ${b.padStart(12)} ${c.padStart(11)}`);
  const inTxn = summarize(rn.chain.inTxnMs);
  const handoff = summarize(rn.chain.handoffMs);
  const busy = summarize(rn.chain.busyMs);
  console.log(`\nRunnel detail:`);
  console.log(`  fan-out: triggers ${fmt(rn.throughput.triggerMs, 0)} ms, end to end ${fmt(rn.throughput.endToEndMs, 0)} ms, execution window ${fmt(rn.throughput.execWindowMs, 0)} ms, queue wait p50 ${fmt(rn.throughput.queueWaitMs.p50, 1)} / p99 ${fmt(rn.throughput.queueWaitMs.p99, 1)} ms, non-success runs ${rn.throughput.nonSuccessRuns}`);
  console.log(`  chain, upstream end -> downstream queued (rest of finishTry txn): p50 ${fmt(inTxn.p50, 3)} p99 ${fmt(inTxn.p99, 3)} ms`);
  console.log(`  chain, downstream queued -> started (COMMIT + addBulk + BullMQ pickup + claim): p50 ${fmt(handoff.p50, 3)} p99 ${fmt(handoff.p99, 3)} ms`);
  console.log(`  chain, task start -> end (claim -> context -> no-op -> finishTry's UPDATE): p50 ${fmt(busy.p50, 3)} p99 ${fmt(busy.p99, 3)} ms`);
  console.log(`  chain, whole cycle per task (run makespan / 50): p50 ${fmt(percentile(rn.chain.cycleMsPerTask, 50), 2)} ms, non-success runs ${rn.chain.nonSuccessRuns}`);
  console.log(`  process VmHWM (whole bench incl. raw phase) ${fmt(vmHwmMb(), 1)} MB`);
  const cpuLine = (name: string, c: CpuReport, n: number, unit: string): void =>
    console.log(
      `  CPU per ${unit}, ${name}: node ${fmt(c.nodeMs / n, 3)} ms (event loop ${fmt(c.eventLoopUtilization * 100, 0)}% busy), postgres ${fmt(c.postgresMs / n, 3)} ms, redis ${fmt(c.redisMs / n, 3)} ms; wall ${fmt(c.wallMs / n, 3)} ms; machine cores busy ${fmt((c.nodeMs + c.postgresMs + c.redisMs) / c.wallMs, 2)} of 2`,
    );
  cpuLine("raw BullMQ throughput", raw.cpu, raw.throughput.jobs, "job");
  cpuLine("Runnel fan-out", rn.cpu, rn.throughput.tasks, "task");
  cpuLine("Runnel chain", rn.chainCpu, rn.chain.busyMs.length, "task");
  const goals: [string, boolean][] = [
    [`throughput >= ${GOALS.throughputRatio * 100}% of raw BullMQ (${fmt(thrRatio * 100, 1)}%)`, thrRatio >= GOALS.throughputRatio],
    [`inter-task latency p50 < ${GOALS.latencyP50Ms} ms (${fmt(lat.p50, 2)})`, lat.p50 < GOALS.latencyP50Ms],
    [`inter-task latency p99 < ${GOALS.latencyP99Ms} ms (${fmt(lat.p99, 2)})`, lat.p99 < GOALS.latencyP99Ms],
  ];
  console.log(`\nGoals:`);
  for (const [g, ok] of goals) console.log(`  ${ok ? "PASS" : "FAIL"}  ${g}`);
  if (rn.profile) printProfile(rn.profile, raw.redisPerJob, raw.chain.jobs);

  return {
    rawBullmq: {
      jobsPerSec: round2(raw.throughput.jobsPerSec),
      chainLatencyMs: { p50: round2(rawLat.p50), p99: round2(rawLat.p99) },
    },
    runnel: {
      tasksPerSec: round2(rn.throughput.tasksPerSec),
      interTaskLatencyMs: { p50: round2(lat.p50), p99: round2(lat.p99) },
      peakRssMb: round2(rn.peakRssMb),
    },
    ratios: {
      throughput: round2(thrRatio),
      interTaskLatencyP50: round2(ratio(lat.p50, rawLat.p50)),
      interTaskLatencyP99: round2(ratio(lat.p99, rawLat.p99)),
    },
    details: {
      workerConcurrency: concurrency,
      schedulerIntervalMs: o.intervalMs,
      rawJobs: raw.throughput.jobs,
      rawChainJobs: raw.chain.jobs,
      fanoutRuns: rn.throughput.runs,
      fanoutTasks: rn.throughput.tasks,
      chainRuns: rn.chain.runs,
      chainPairs: rn.chain.latencyMs.length,
      runnelExecWindowTasksPerSec: round2(rn.throughput.execTasksPerSec),
      runnelEndToEndMs: round2(rn.throughput.endToEndMs),
      runnelQueueWaitMs: { p50: round2(rn.throughput.queueWaitMs.p50), p99: round2(rn.throughput.queueWaitMs.p99) },
      cpuMsPerTask: {
        rawBullmqNode: round2(raw.cpu.nodeMs / raw.throughput.jobs),
        rawBullmqRedis: round2(raw.cpu.redisMs / raw.throughput.jobs),
        runnelNode: round2(rn.cpu.nodeMs / rn.throughput.tasks),
        runnelPostgres: round2(rn.cpu.postgresMs / rn.throughput.tasks),
        runnelRedis: round2(rn.cpu.redisMs / rn.throughput.tasks),
      },
      runnelChainBreakdownMs: {
        endToQueuedP50: round2(inTxn.p50),
        queuedToStartP50: round2(handoff.p50),
        taskBusyP50: round2(busy.p50),
      },
      goalsMet: Object.fromEntries(goals.map(([g, ok], i) => [["throughput", "latencyP50", "latencyP99"][i] ?? g, ok])),
      at: new Date().toISOString(),
    },
  };
}

/** The API scale phase in its own fresh database (dropped right after). */
async function runApiScale(o: Options, cleanup: Cleanup, log: (s: string) => void): Promise<ApiScaleResult> {
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

/** Writes results.json; with only `apiScale` measured, keeps the other keys of the file. */
async function writeResults(results: Record<string, unknown>): Promise<void> {
  let merged = results;
  if (!("runnel" in results)) {
    const previous = JSON.parse(await readFile(RESULTS_PATH, "utf8").catch(() => "{}")) as Record<string, unknown>;
    merged = { ...previous, ...results };
  }
  await writeFile(RESULTS_PATH, `${JSON.stringify(merged, null, 2)}\n`);
  console.log(`\nwrote ${RESULTS_PATH}`);
}

async function main(): Promise<void> {
  const o = options();
  const cleanup = new Cleanup();
  const started = Date.now();
  const log = (s: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${s}`);
  const onSignal = (): void => {
    console.error("\ninterrupted: cleaning up");
    void cleanup.run().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (o.apiScale === "only") {
      const apiScale = await runApiScale(o, cleanup, log);
      if (o.write) await writeResults({ apiScale });
      log("done");
      return;
    }
    cleanup.db = await createBenchDatabase();
    log(`bench database ${cleanup.db.name}, Redis ${BENCH_REDIS_URL}`);
    if (o.sweep) {
      const lines: string[] = [];
      let migrate = true;
      for (const c of o.sweep) {
        const raw = await measureRaw(o, c, cleanup, log);
        const rn = await measureRunnel(o, c, migrate, cleanup.db, cleanup, log);
        migrate = false;
        const lat = summarize(rn.chain.latencyMs);
        lines.push(
          `${String(c).padStart(11)} ${fmt(raw.throughput.jobsPerSec, 0).padStart(10)} ${fmt(rn.throughput.tasksPerSec, 0).padStart(10)} ${fmt(rn.throughput.execTasksPerSec, 0).padStart(10)} ${fmt(ratio(rn.throughput.tasksPerSec, raw.throughput.jobsPerSec), 3).padStart(7)} ${fmt(raw.chain.latencyMs.p50, 2).padStart(8)} ${fmt(lat.p50, 2).padStart(8)} ${fmt(lat.p99, 2).padStart(8)} ${fmt(rn.peakRssMb, 0).padStart(7)}`,
        );
      }
      console.log(`\nconcurrency  raw job/s  Runnel/s  exec/s   ratio  raw p50  Rn p50   Rn p99   RSS MB`);
      for (const l of lines) console.log(l);
    } else {
      const raw = await measureRaw(o, o.concurrency, cleanup, log);
      const rn = await measureRunnel(o, o.concurrency, true, cleanup.db, cleanup, log);
      const results = report(o, o.concurrency, raw, rn);
      if (o.apiScale === "also") results.apiScale = await runApiScale(o, cleanup, log);
      else if (o.write) results.apiScale = JSON.parse(await readFile(RESULTS_PATH, "utf8").catch(() => "{}")).apiScale as unknown;
      if (o.write) await writeResults(results);
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
