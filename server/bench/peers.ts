/**
 * The peers phase of `pnpm bench` (issue 11, "the benchmark is the judge"): Runnel, graphile-worker
 * and BullMQ in this process, on the same PostgreSQL server and Redis, with the same concurrency.
 *
 *   chain40      a 40-task chain, trigger -> last task done (and per step)
 *   chains10x40  10 such chains at once
 *   fanout1000   one run of 1,000 parallel no-op tasks + a join
 * each case run for every system, interleaved (the systems' order rotates each round), `repeats`
 * rounds after one warm-up round; medians and spread (min..max) printed.
 * Runnel only: one run of width 100 / 1,000 / 10,000 + join (per-task ms; width 10,000 once,
 * capped), trigger -> first task start on an idle engine, and the idle scheduler tick with
 * 1,000 generated DAG files (idleTick.ts).
 */
import { BENCH_REDIS_URL, createBenchDatabase } from "./benchDb";
import type { Cleanup } from "./cleanup";
import { measureIdleTick, type IdleTickResult } from "./idleTick";
import { BullmqPeer } from "./peerBullmq";
import { GraphilePeer } from "./peerGraphile";
import { PEERS_DAGS_FOLDER, runnelChains, runnelFanout, runnelTriggerToStart } from "./peerRunnel";
import { RunnelHarness } from "./runnelHarness";
import { percentile } from "./stats";

export const PEER_CASES = ["chain40", "chains10x40", "fanout1000"] as const;
export type PeerCase = (typeof PEER_CASES)[number];
export const PEER_SYSTEMS = ["runnel", "graphileWorker", "bullmq"] as const;
export type PeerSystem = (typeof PEER_SYSTEMS)[number];

export interface PeersOptions {
  concurrency: number;
  /** Runnel's scheduler tick in this phase (default: Runnel's own default, as a user runs it). */
  intervalMs: number;
  repeats: number;
  /** Runnel fan-out widths to time (subset of 100, 1000, 10000). */
  widths: number[];
  /** The most a width-10,000 run is waited for before it is cut. */
  wideCapMs: number;
  triggerSamples: number;
  idleDags: number;
  idleTicks: number;
}

export interface WidthResult {
  width: number;
  wallMs: number[];
  perTaskMs: number;
  /** The run had not ended at the cap: perTaskMs is cap / tasks done so far (a lower bound). */
  cut: boolean;
  done: number;
}

export interface PeersResult {
  options: PeersOptions;
  /** Every sample, ms, per case and system. */
  samples: Record<PeerCase, Record<PeerSystem, number[]>>;
  /** The warm-up round: each case's first run on each system's fresh database (not in the medians). */
  fresh: Record<PeerCase, Record<PeerSystem, number>>;
  widths: WidthResult[];
  triggerToStartMs: number[];
  idle: IdleTickResult | undefined;
}

type Log = (s: string) => void;

interface Systems {
  runnel: RunnelHarness;
  graphile: GraphilePeer;
  bullmq: BullmqPeer;
}

async function oneCase(s: Systems, c: PeerCase, system: PeerSystem, label: string): Promise<number> {
  switch (c) {
    case "chain40":
      return system === "runnel" ? runnelChains(s.runnel, 1, label) : system === "graphileWorker" ? s.graphile.chains(40, 1) : s.bullmq.chains(40, 1);
    case "chains10x40":
      return system === "runnel" ? runnelChains(s.runnel, 10, label) : system === "graphileWorker" ? s.graphile.chains(40, 10) : s.bullmq.chains(40, 10);
    case "fanout1000": {
      if (system === "runnel") {
        const r = await runnelFanout(s.runnel, 1000, label, 300_000);
        if (r.cut) throw new Error("Runnel fanout1000 did not finish within 300 s");
        return r.wallMs;
      }
      return system === "graphileWorker" ? s.graphile.fanout(1000) : s.bullmq.fanout(1000);
    }
  }
}

async function openSystems(o: PeersOptions, cleanup: Cleanup, log: Log): Promise<Systems> {
  const rdb = await createBenchDatabase();
  cleanup.peerDbs.push(rdb);
  const gdb = await createBenchDatabase();
  cleanup.peerDbs.push(gdb);
  log(`peers: Runnel on ${rdb.name} (scheduler tick ${o.intervalMs} ms), graphile-worker on ${gdb.name}, BullMQ on ${BENCH_REDIS_URL}; concurrency ${o.concurrency}`);
  const runnel = await RunnelHarness.open({
    databaseUrl: rdb.url,
    redisUrl: BENCH_REDIS_URL,
    prefix: cleanup.prefix("peers"),
    concurrency: o.concurrency,
    schedulerIntervalMs: o.intervalMs,
    migrate: true,
    dagsFolder: PEERS_DAGS_FOLDER,
  });
  const graphile = await GraphilePeer.open(gdb, o.concurrency).catch(async (err: unknown) => {
    await runnel.close();
    throw err;
  });
  const bullmq = await BullmqPeer.open(BENCH_REDIS_URL, cleanup.prefix("peerbull"), o.concurrency);
  return { runnel, graphile, bullmq };
}

async function runnelWidths(s: Systems, o: PeersOptions, samples: PeersResult["samples"], log: Log): Promise<WidthResult[]> {
  const out: WidthResult[] = [];
  // Widest last: a cut run is left running until the harness closes.
  for (const width of [...o.widths].sort((a, b) => a - b)) {
    if (width === 1000 && samples.fanout1000.runnel.length) {
      const wallMs = samples.fanout1000.runnel;
      out.push({ width, wallMs, perTaskMs: percentile(wallMs, 50) / width, cut: false, done: width + 1 });
      continue;
    }
    const reps = width >= 10_000 ? 1 : o.repeats;
    const walls: number[] = [];
    for (let i = 0; i < reps; i++) {
      log(`peers: Runnel width ${width} + join (${i + 1}/${reps}${width >= 10_000 ? `, capped at ${o.wideCapMs / 1000} s` : ""})`);
      const r = await runnelFanout(s.runnel, width, `w${width}_${i}`, width >= 10_000 ? o.wideCapMs : 300_000);
      walls.push(r.wallMs);
      if (r.cut) {
        log(`peers: width ${width} CUT at ${(r.wallMs / 1000).toFixed(1)} s with ${r.done} of ${width + 1} tasks done`);
        out.push({ width, wallMs: walls, perTaskMs: r.done > 0 ? r.wallMs / r.done : Number.NaN, cut: true, done: r.done });
        break;
      }
      if (i === reps - 1) out.push({ width, wallMs: walls, perTaskMs: percentile(walls, 50) / width, cut: false, done: r.done });
    }
  }
  return out;
}

/** Runs the peers phase; every system is closed before it returns. */
export async function runPeers(o: PeersOptions, cleanup: Cleanup, log: Log): Promise<PeersResult> {
  const samples = Object.fromEntries(PEER_CASES.map((c) => [c, { runnel: [], graphileWorker: [], bullmq: [] }])) as unknown as PeersResult["samples"];
  const fresh = Object.fromEntries(PEER_CASES.map((c) => [c, { runnel: Number.NaN, graphileWorker: Number.NaN, bullmq: Number.NaN }])) as PeersResult["fresh"];
  const s = await openSystems(o, cleanup, log);
  let widths: WidthResult[] = [];
  let triggerToStartMs: number[] = [];
  try {
    log(`peers: warm-up on fresh databases (each case once per system, not in the medians)`);
    for (const c of PEER_CASES) for (const sys of PEER_SYSTEMS) fresh[c][sys] = await oneCase(s, c, sys, `warm_${c}_${sys}`);
    log(`peers: fresh: ${PEER_CASES.map((c) => `${c} ${PEER_SYSTEMS.map((sys) => Math.round(fresh[c][sys])).join("/")} ms`).join(", ")}`);
    for (let round = 0; round < o.repeats; round++) {
      for (const c of PEER_CASES) {
        const order = PEER_SYSTEMS.map((_, i) => PEER_SYSTEMS[(i + round) % PEER_SYSTEMS.length] as PeerSystem);
        for (const sys of order) samples[c][sys].push(await oneCase(s, c, sys, `r${round}_${c}`));
      }
      log(`peers: round ${round + 1}/${o.repeats}: ${PEER_CASES.map((c) => `${c} ${PEER_SYSTEMS.map((sys) => Math.round(samples[c][sys][round] ?? Number.NaN)).join("/")} ms`).join(", ")}`);
    }
    log(`peers: Runnel trigger -> first task start, ${o.triggerSamples} triggers of bench_single`);
    triggerToStartMs = await runnelTriggerToStart(s.runnel, o.triggerSamples, "tts");
    widths = await runnelWidths(s, o, samples, log);
  } finally {
    await s.bullmq.close();
    await s.graphile.close();
    await s.runnel.close();
  }
  const idle = o.idleDags > 0 ? await measureIdleTick({ dags: o.idleDags, ticks: o.idleTicks, concurrency: o.concurrency, intervalMs: o.intervalMs }, cleanup, log) : undefined;
  return { options: o, samples, fresh, widths, triggerToStartMs, idle };
}
