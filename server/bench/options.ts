/** `pnpm bench` options: command-line flags, each also readable from the environment. */
import { parseArgs } from "node:util";

/**
 * Slots per worker, the same for raw BullMQ and Runnel. Bench tasks are no-op and async, so a
 * slot is mostly waiting on Postgres/Redis round trips; many slots let Runnel's workers batch
 * claims and completions (MicroBatcher). Raw BullMQ is flat from 16 to 256 on the 2-core box;
 * Runnel rises from ~490/s at 16 to ~1000/s at 256 (see `--sweep 16,64,256`).
 */
export const DEFAULT_CONCURRENCY = 256;

/** The fan-out widths with a DAG in benchDags/peers/ (fanout<width>.ts). */
const PEER_WIDTHS: readonly number[] = [100, 1000, 10_000];


export interface Options {
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
  /** The 365-day backfill phase (backfillBench.ts): skipped, also run, or the only Runnel phase. */
  backfill: "skip" | "also" | "only";
  /** maxActiveRuns of the bench backfill. */
  backfillMaxActiveRuns: number;
  /** The peers phase (peers.ts): skipped, also run, or the only phase. */
  peers: "skip" | "also" | "only";
  /** Interleaved rounds of each peer case. */
  peersRepeats: number;
  /** Runnel's scheduler tick in the peers phase: Runnel's default, as a user runs it. */
  peersIntervalMs: number;
  /** Runnel fan-out widths timed (each of 100, 1000, 10000). */
  peersWidths: number[];
  /** How long the width-10,000 run is waited for before it is cut. */
  peersWideCapMs: number;
  /** DAG files in the idle-tick case (0 skips it). */
  idleDags: number;
  /** The CLI start-up case (cliStartup.ts): skipped, also run, or the only phase. */
  cli: "skip" | "also" | "only";
  /** Timed runs of each CLI command. */
  cliRuns: number;
}

export function options(): Options {
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
      "no-backfill": { type: "boolean", default: false },
      "backfill-only": { type: "boolean", default: false },
      "backfill-max-active-runs": { type: "string" },
      "no-peers": { type: "boolean", default: false },
      "peers-only": { type: "boolean", default: false },
      "peers-repeats": { type: "string" },
      "peers-interval": { type: "string" },
      "peers-widths": { type: "string" },
      "peers-wide-cap": { type: "string" },
      "idle-dags": { type: "string" },
      "no-cli": { type: "boolean", default: false },
      "cli-only": { type: "boolean", default: false },
      "cli-runs": { type: "string" },
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
  const widthsRaw = values["peers-widths"] ?? process.env.BENCH_PEERS_WIDTHS ?? "100,1000,10000";
  const peersWidths = widthsRaw.split(",").map((s) => int(s.trim(), "BENCH_PEERS_WIDTHS", 1));
  for (const w of peersWidths) if (!PEER_WIDTHS.includes(w)) throw new Error(`BENCH_PEERS_WIDTHS / --peers-widths: ${w} has no DAG (one of ${PEER_WIDTHS.join(", ")})`);
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
    backfill: values["backfill-only"] ? "only" : values["no-backfill"] ? "skip" : "also",
    backfillMaxActiveRuns: int(values["backfill-max-active-runs"], "BENCH_BACKFILL_MAX_ACTIVE_RUNS", 100),
    peers: values["peers-only"] ? "only" : values["no-peers"] ? "skip" : "also",
    peersRepeats: int(values["peers-repeats"], "BENCH_PEERS_REPEATS", 3),
    peersIntervalMs: int(values["peers-interval"], "BENCH_PEERS_INTERVAL_MS", 1000),
    peersWidths,
    peersWideCapMs: int(values["peers-wide-cap"], "BENCH_PEERS_WIDE_CAP_S", 120) * 1000,
    idleDags: values["idle-dags"] === "0" || process.env.BENCH_IDLE_DAGS === "0" ? 0 : int(values["idle-dags"], "BENCH_IDLE_DAGS", 1000),
    cli: values["cli-only"] ? "only" : values["no-cli"] ? "skip" : "also",
    cliRuns: int(values["cli-runs"], "BENCH_CLI_RUNS", 5),
  };
}
