/** The two head-to-head phases: raw BullMQ (measureRaw) and Runnel end to end (measureRunnel). */
import type { BenchDatabase } from "./benchDb";
import { BENCH_ADMIN_URL, BENCH_REDIS_URL } from "./benchDb";
import type { Cleanup } from "./cleanup";
import { CpuMeter, type CpuReport } from "./cpu";
import type { Options } from "./options";
import { rawChain, rawThroughput, type RawChain, type RawThroughput } from "./rawBullmq";
import { RssSampler } from "./rss";
import { runnelChain, type RunnelChain } from "./runnelChain";
import { RunnelHarness } from "./runnelHarness";
import { runnelThroughput, type RunnelThroughput } from "./runnelThroughput";
import { RedisCommandCounter, SqlProfiler, type StatementStat } from "./sqlProfile";


export interface RawResult {
  throughput: RawThroughput;
  chain: RawChain;
  cpu: CpuReport;
  /** Redis commands per chain job (profile only). */
  redisPerJob?: [string, number][];
}

export async function measureRaw(o: Options, concurrency: number, cleanup: Cleanup, log: (s: string) => void): Promise<RawResult> {
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

export interface RunnelResult {
  throughput: RunnelThroughput;
  chain: RunnelChain;
  peakRssMb: number;
  cpu: CpuReport;
  chainCpu: CpuReport;
  profile?: { perTask: StatementStat[]; tasks: number; redis: [string, number][]; fanout: StatementStat[]; fanoutTasks: number };
}

export async function measureRunnel(o: Options, concurrency: number, migrate: boolean, bench: BenchDatabase, cleanup: Cleanup, log: (s: string) => void): Promise<RunnelResult> {
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
