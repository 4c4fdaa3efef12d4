/** The head-to-head report: the printed table and details, and the figures for results.json. */
import type { CpuReport } from "./cpu";
import type { RawResult, RunnelResult } from "./measure";
import type { Options } from "./options";
import { vmHwmMb } from "./rss";
import type { StatementStat } from "./sqlProfile";
import { fmt, percentile, round2, summarize } from "./stats";

const GOALS = { throughputRatio: 0.25, latencyP50Ms: 5, latencyP99Ms: 25 };


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

export function ratio(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

/** The figures both the printout and results.json use. */
interface Headline {
  lat: ReturnType<typeof summarize>;
  rawLat: RawResult["chain"]["latencyMs"];
  thrRatio: number;
}

function printTable(o: Options, concurrency: number, raw: RawResult, rn: RunnelResult, { lat, rawLat, thrRatio }: Headline): void {
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
}

function printDetail(raw: RawResult, rn: RunnelResult): void {
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
}

function goalsOf({ lat, thrRatio }: Headline): [string, boolean][] {
  return [
    [`throughput >= ${GOALS.throughputRatio * 100}% of raw BullMQ (${fmt(thrRatio * 100, 1)}%)`, thrRatio >= GOALS.throughputRatio],
    [`inter-task latency p50 < ${GOALS.latencyP50Ms} ms (${fmt(lat.p50, 2)})`, lat.p50 < GOALS.latencyP50Ms],
    [`inter-task latency p99 < ${GOALS.latencyP99Ms} ms (${fmt(lat.p99, 2)})`, lat.p99 < GOALS.latencyP99Ms],
  ];
}

/** Prints the head-to-head table, details and goals. @returns the figures for results.json. */
export function report(o: Options, concurrency: number, raw: RawResult, rn: RunnelResult): Record<string, unknown> {
  const h: Headline = { lat: summarize(rn.chain.latencyMs), rawLat: raw.chain.latencyMs, thrRatio: ratio(rn.throughput.tasksPerSec, raw.throughput.jobsPerSec) };
  printTable(o, concurrency, raw, rn, h);
  printDetail(raw, rn);
  const goals = goalsOf(h);
  console.log(`\nGoals:`);
  for (const [g, ok] of goals) console.log(`  ${ok ? "PASS" : "FAIL"}  ${g}`);
  if (rn.profile) printProfile(rn.profile, raw.redisPerJob, raw.chain.jobs);
  return resultsOf(o, concurrency, raw, rn, h, goals);
}

function resultsOf(o: Options, concurrency: number, raw: RawResult, rn: RunnelResult, { lat, rawLat, thrRatio }: Headline, goals: [string, boolean][]): Record<string, unknown> {
  const inTxn = summarize(rn.chain.inTxnMs);
  const handoff = summarize(rn.chain.handoffMs);
  const busy = summarize(rn.chain.busyMs);
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
