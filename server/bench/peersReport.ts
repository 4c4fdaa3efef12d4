/** The peers phase's printout, its figures for results.json, and issue 11's goals as PASS/FAIL lines. */
import { PEER_CASES, PEER_SYSTEMS, type PeerCase, type PeersResult } from "./peers";
import { describeIdleTick, idleTickFigures, type IdleTickFigures } from "./idleTick";
import { fmt, percentile, round2 } from "./stats";

/** Issue 11's goals, all on this machine, all in one run. */
export const ISSUE11_GOALS = { vsGraphile: 1.0, wideVsNarrow: 1.5, throughputRatio: 0.35, interTaskP50Ms: 3, backfillMs: 3000, triggerToStartP50Ms: 25, idleTickP50Ms: 50 };

/** What results.json holds from the peers phase (merged into `runnel` and `ratios`, plus `peers` and `scale`). */
export interface PeersFigures {
  /** Per case and system: the median wall ms, its spread, and the first run on a fresh database. */
  peers: Record<string, Record<string, { wallMs: number; minMs: number; maxMs: number; n: number; freshMs: number }>>;
  ratios: Record<string, number>;
  runnel: { triggerToStartMs: { p50: number; p90: number; max: number; n: number } };
  scale: {
    fanoutPerTaskMs: Record<string, number>;
    fanoutCut?: string[];
    dags1000?: IdleTickFigures;
    peersSchedulerIntervalMs: number;
    repeats: number;
  };
}

const median = (xs: readonly number[]): number => percentile(xs, 50);
const vsGraphile = (r: PeersResult, c: PeerCase): number => median(r.samples[c].runnel) / median(r.samples[c].graphileWorker);

export function peersFigures(r: PeersResult): PeersFigures {
  const peers: PeersFigures["peers"] = {};
  for (const c of PEER_CASES) {
    peers[c] = {};
    for (const sys of PEER_SYSTEMS) {
      const xs = r.samples[c][sys];
      peers[c][sys] = { wallMs: round2(median(xs)), minMs: round2(Math.min(...xs)), maxMs: round2(Math.max(...xs)), n: xs.length, freshMs: round2(r.fresh[c][sys]) };
    }
  }
  const tts = r.triggerToStartMs;
  const cut = r.widths.filter((w) => w.cut).map((w) => String(w.width));
  return {
    peers,
    ratios: Object.fromEntries(PEER_CASES.map((c) => [`${c}VsGraphile`, round2(vsGraphile(r, c))])),
    runnel: { triggerToStartMs: { p50: round2(median(tts)), p90: round2(percentile(tts, 90)), max: round2(Math.max(...tts)), n: tts.length } },
    scale: {
      fanoutPerTaskMs: Object.fromEntries(r.widths.map((w) => [String(w.width), round2(w.perTaskMs)])),
      ...(cut.length ? { fanoutCut: cut } : {}),
      ...(r.idle
        ? { dags1000: idleTickFigures(r.idle) }
        : {}),
      peersSchedulerIntervalMs: r.options.intervalMs,
      repeats: r.options.repeats,
    },
  };
}

export function printPeers(r: PeersResult): void {
  const cell = (xs: readonly number[]): string => `${fmt(median(xs), 0)} (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)})`;
  console.log(`\nPeers — same PostgreSQL and Redis, concurrency ${r.options.concurrency}, Runnel tick ${r.options.intervalMs} ms, ${r.options.repeats} interleaved rounds; wall ms, median (min–max)`);
  console.log(`${"case".padEnd(14)} ${"Runnel".padStart(20)} ${"graphile-worker".padStart(20)} ${"BullMQ".padStart(20)} ${"Runnel/graphile".padStart(16)}`);
  for (const c of PEER_CASES) {
    const s = r.samples[c];
    console.log(`${c.padEnd(14)} ${cell(s.runnel).padStart(20)} ${cell(s.graphileWorker).padStart(20)} ${cell(s.bullmq).padStart(20)} ${fmt(vsGraphile(r, c), 2).padStart(16)}`);
  }
  console.log(
    `first run on a fresh database (warm-up): ${PEER_CASES.map((c) => `${c} ${PEER_SYSTEMS.map((sys) => fmt(r.fresh[c][sys], 0)).join(" / ")}`).join("; ")} ms (Runnel / graphile-worker / BullMQ)`,
  );
  const step = (xs: readonly number[]): string => fmt(median(xs) / 40, 2);
  console.log(`chain40 per step ms: Runnel ${step(r.samples.chain40.runnel)}, graphile-worker ${step(r.samples.chain40.graphileWorker)}, BullMQ ${step(r.samples.chain40.bullmq)}`);
  console.log(`\nRunnel only:`);
  for (const w of r.widths) {
    console.log(
      `  width ${String(w.width).padStart(6)} + join: ${w.cut ? `CUT after ${fmt(w.wallMs[w.wallMs.length - 1] ?? Number.NaN, 0)} ms with ${w.done} of ${w.width + 1} tasks done; ` : `wall ${w.wallMs.map((x) => fmt(x, 0)).join(" / ")} ms; `}${fmt(w.perTaskMs, 2)} ms per task${w.cut ? " (lower bound)" : ""}`,
    );
  }
  const tts = r.triggerToStartMs;
  console.log(`  trigger -> first task start (${tts.length} triggers, idle engine): p50 ${fmt(median(tts), 1)} p90 ${fmt(percentile(tts, 90), 1)} max ${fmt(Math.max(...tts), 1)} ms`);
  if (r.idle) console.log(`  ${describeIdleTick(r.idle)}`);
}

/** Issue 11's goals that this run measured, as [text, met]. */
export function issue11Goals(f: PeersFigures | undefined, other: { throughputRatio?: number; interTaskP50Ms?: number; backfillTotalMs?: number }): [string, boolean][] {
  const g = ISSUE11_GOALS;
  const out: [string, boolean][] = [];
  if (f) {
    for (const c of PEER_CASES) {
      const x = f.ratios[`${c}VsGraphile`] ?? Number.NaN;
      out.push([`${c}: Runnel / graphile-worker <= ${g.vsGraphile.toFixed(1)} (${fmt(x, 2)})`, x <= g.vsGraphile]);
    }
    const narrow = f.scale.fanoutPerTaskMs["100"];
    const wide = f.scale.fanoutPerTaskMs["10000"];
    if (narrow !== undefined && wide !== undefined) {
      const cut = f.scale.fanoutCut?.includes("10000") ? ", cut: lower bound" : "";
      out.push([`per-task time at width 10,000 within ${g.wideVsNarrow}x of width 100 (${fmt(wide, 2)} vs ${fmt(narrow, 2)} ms = ${fmt(wide / narrow, 2)}x${cut})`, !cut && wide <= g.wideVsNarrow * narrow]);
    }
    const tts = f.runnel.triggerToStartMs.p50;
    out.push([`trigger -> first start p50 < ${g.triggerToStartP50Ms} ms (${fmt(tts, 1)})`, tts < g.triggerToStartP50Ms]);
    const idle = f.scale.dags1000?.idleTickMs.p50;
    if (idle !== undefined) out.push([`${f.scale.dags1000?.dags ?? 1000}-DAG idle tick p50 < ${g.idleTickP50Ms} ms (${fmt(idle, 1)})`, idle < g.idleTickP50Ms]);
  }
  if (other.throughputRatio !== undefined) out.push([`no-op throughput >= ${g.throughputRatio} x raw BullMQ (${fmt(other.throughputRatio, 3)})`, other.throughputRatio >= g.throughputRatio]);
  if (other.interTaskP50Ms !== undefined) out.push([`inter-task latency p50 < ${g.interTaskP50Ms} ms (${fmt(other.interTaskP50Ms, 2)})`, other.interTaskP50Ms < g.interTaskP50Ms]);
  if (other.backfillTotalMs !== undefined) out.push([`365-day backfill (3,650 tasks) done in < ${g.backfillMs / 1000} s (${fmt(other.backfillTotalMs / 1000, 2)} s)`, other.backfillTotalMs < g.backfillMs]);
  return out;
}
