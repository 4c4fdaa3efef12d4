/**
 * Runnel as a peer (peers phase): the RunnelHarness (scheduler + worker in this process) on its
 * own fresh database, loading benchDags/peers/ (bench_chain40, bench_fanout{100,1000,10000},
 * bench_single). Runs are triggered with triggerRun, the call behind the API's and the CLI's
 * trigger. "Done" is the last task instance's end_date (set with clock_timestamp() when the try
 * is recorded), against the trigger call's start on this process's clock (same host).
 */
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import type { RunnelHarness } from "./runnelHarness";

export const PEERS_DAGS_FOLDER = fileURLToPath(new URL("./benchDags/peers/", import.meta.url));

/** Wall-clock ms since the epoch, sub-millisecond. */
const epochMs = (): number => performance.timeOrigin + performance.now();

interface RunTimes {
  firstStart: number;
  lastEnd: number;
  done: number;
}

async function runTimes(h: RunnelHarness, ids: readonly number[]): Promise<RunTimes> {
  const row = (
    await h.rt.db.raw<{ rows: { first_start: string | null; last_end: string | null; done: string }[] }>(
      `SELECT extract(epoch FROM min(start_date)) * 1000 AS first_start, extract(epoch FROM max(end_date)) * 1000 AS last_end,
              count(*) FILTER (WHERE state = 'success') AS done
       FROM task_instances WHERE dag_run_id = ANY(?::bigint[])`,
      [[...ids]],
    )
  ).rows[0];
  return { firstStart: Number(row?.first_start), lastEnd: Number(row?.last_end), done: Number(row?.done ?? 0) };
}

/** Polls until every run in `ids` ended (true) or `capMs` passed (false). */
async function settle(h: RunnelHarness, ids: readonly number[], capMs: number, pollMs: number): Promise<boolean> {
  const deadline = Date.now() + capMs;
  for (;;) {
    const open = (await h.rt.db("dag_runs").whereIn("id", ids).whereIn("state", ["queued", "running"]).count<{ n: string }[]>({ n: "*" }))[0];
    if (Number(open?.n ?? 0) === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((res) => setTimeout(res, pollMs));
  }
}

async function expectSuccess(h: RunnelHarness, ids: readonly number[], what: string): Promise<void> {
  const bad = await h.rt.db("dag_runs").whereIn("id", ids).whereNot("state", "success").count<{ n: string }[]>({ n: "*" });
  if (Number(bad[0]?.n ?? 0) > 0) throw new Error(`${what}: ${bad[0]?.n} run(s) did not succeed`);
}

/** `chains` runs of bench_chain40 triggered at once; ms from the first trigger call to the last task's end. */
export async function runnelChains(h: RunnelHarness, chains: number, label: string): Promise<number> {
  const t0 = epochMs();
  const ids = await h.trigger("bench_chain40", chains, label, chains);
  if (!(await settle(h, ids, 120_000, 5))) throw new Error(`Runnel ${chains} x chain40 did not finish within 120 s`);
  await expectSuccess(h, ids, "Runnel chain40");
  return (await runTimes(h, ids)).lastEnd - t0;
}

export interface FanoutOutcome {
  /** Trigger -> join end; when cut, trigger -> the cap. */
  wallMs: number;
  /** Tasks that succeeded (width + 1 when complete). */
  done: number;
  /** The run was still going at the cap. */
  cut: boolean;
}

/** One run of bench_fanout<width>; gives up waiting after `capMs` (the run is left to the harness's close). */
export async function runnelFanout(h: RunnelHarness, width: number, label: string, capMs: number): Promise<FanoutOutcome> {
  const t0 = epochMs();
  const ids = await h.trigger(`bench_fanout${width}`, 1, label);
  const complete = await settle(h, ids, capMs, 20);
  const t = await runTimes(h, ids);
  if (!complete) return { wallMs: epochMs() - t0, done: t.done, cut: true };
  await expectSuccess(h, ids, `Runnel fanout${width}`);
  return { wallMs: t.lastEnd - t0, done: t.done, cut: false };
}

/** `n` runs of bench_single one after another, each on an idle engine: ms from the trigger call to the task's start. */
export async function runnelTriggerToStart(h: RunnelHarness, n: number, label: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = epochMs();
    const ids = await h.trigger("bench_single", 1, `${label}${i}`);
    if (!(await settle(h, ids, 30_000, 5))) throw new Error("Runnel bench_single did not finish within 30 s");
    out.push((await runTimes(h, ids)).firstStart - t0);
  }
  return out;
}
