import { loadConfig } from "../config/config";
import { DagRegistry } from "../dags/dagRegistry";
import { summarizeBackfill, type BackfillProgressCounts } from "../scheduler/backfillControl";
import { BackfillError, createBackfill, prepareBackfill, type BackfillRequestInput } from "../scheduler/createBackfill";
import type { BackfillOrder, ReprocessMode } from "../model/states";
import { planToIso } from "../scheduler/planBackfill";
import type { ClippedRange } from "../schedule/index";
import { backfillDates, getBackfill } from "../store/backfills";
import type { Db } from "../store/db";
import { withDb } from "./cliDb";
import { CliError } from "./cliError";

/** Options of `runnel backfill`. */
export interface BackfillCliOptions {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  maxActiveRuns: number;
  order: BackfillOrder;
  conf?: string;
  dryRun?: boolean;
  json?: boolean;
  wait?: boolean;
  /** Poll interval of --wait (ms). */
  pollMs?: number;
}

function parseConf(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let conf: unknown;
  try {
    conf = JSON.parse(text);
  } catch (err) {
    throw new CliError(`--conf is not JSON: ${(err as Error).message}`);
  }
  if (typeof conf !== "object" || conf === null || Array.isArray(conf)) throw new CliError("--conf must be a JSON object");
  return conf as Record<string, unknown>;
}

/**
 * One line per part of the requested range outside the DAG's dates (none when it is all inside):
 * "outside the DAG's dates, not backfilled: 2024-01-01T00:00:00.000Z up to 2024-01-03T00:00:00.000Z (before its startDate 2024-01-03T00:00:00.000Z)".
 */
export function outsideLines(r: ClippedRange): string[] {
  const iso = (d: Date): string => d.toISOString();
  const lines: string[] = [];
  const b = r.beforeStartDate;
  const a = r.afterEndDate;
  if (b) lines.push(`outside the DAG's dates, not backfilled: ${iso(b.from)} up to ${iso(b.to)} (before its startDate ${iso(b.to)})`);
  if (a) lines.push(`outside the DAG's dates, not backfilled: after ${iso(a.from)} up to ${iso(a.to)} (after its endDate ${iso(a.from)})`);
  if (lines.length && r.inside) lines.push(`backfilled range: ${iso(r.inside.from)} to ${iso(r.inside.to)}`);
  return lines;
}

/** "[#######-------------]  35% 7/20 done (1 failed), 2 running, ETA 12s". */
export function progressLine(p: BackfillProgressCounts, width = 20): string {
  const filled = Math.round((p.percent / 100) * width);
  const done = p.success + p.failed + p.canceled;
  const eta = p.etaSeconds === null ? "" : `, ETA ${p.etaSeconds}s`;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.percent.toFixed(0).padStart(3)}% ${done}/${p.total} done (${p.failed} failed), ${p.queued + p.running} active, ${p.pending} pending${eta}`;
}

/** Polls the backfill until it completes or is canceled; progress goes to stderr. @returns its final progress. */
async function waitForBackfill(db: Db, id: number, pollMs: number): Promise<{ state: string; progress: BackfillProgressCounts }> {
  const tty = process.stderr.isTTY === true;
  let last = "";
  for (;;) {
    const b = await getBackfill(db, id);
    if (!b) throw new CliError(`backfill ${id} disappeared`);
    const progress = summarizeBackfill(await backfillDates(db, id), b.max_active_runs);
    const line = progressLine(progress);
    if (tty) process.stderr.write(`\r${line}`);
    else if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (b.state === "completed" || b.state === "canceled") {
      if (tty) process.stderr.write("\n");
      return { state: b.state, progress };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * `runnel backfill`: validates and plans the range against the DAG folder and the database;
 * `--dry-run` prints the plan, otherwise the backfill is stored and a running scheduler
 * launches its runs. `--wait` follows it and fails when a run failed or it was canceled.
 * @returns the exit code.
 */
export async function backfillCommand(dagId: string, o: BackfillCliOptions): Promise<number> {
  const config = loadConfig();
  const req: BackfillRequestInput = { from: o.from, to: o.to, reprocess: o.reprocess, maxActiveRuns: o.maxActiveRuns, order: o.order, conf: parseConf(o.conf), createdBy: "cli" };
  return withDb(async (db) => {
    const registry = new DagRegistry({ folder: config.dagsFolder, db });
    await registry.refresh();
    registry.close();
    const loaded = registry.get(dagId);
    if (!loaded || registry.versionId(dagId) === undefined) throw new CliError(`no DAG "${dagId}"`);
    try {
      // With --json, stdout is exactly the JSON; the clipping notes go to stderr.
      const notes = (r: ClippedRange): void => {
        for (const line of outsideLines(r)) (o.json ? console.error : console.log)(line);
      };
      if (o.dryRun) {
        const prepared = await prepareBackfill(db, loaded, req, config.backfillMaxRuns);
        const plan = planToIso(prepared.plan);
        notes(prepared.range);
        if (o.json) console.log(JSON.stringify(plan));
        else console.log(`dry run: ${plan.create.length} to create, ${plan.clear.length} to clear, ${plan.skip.length} left alone\n${(["create", "clear", "skip"] as const).flatMap((k) => plan[k].map((d) => `${k.padEnd(6)} ${d}`)).join("\n")}`);
        return 0;
      }
      const { id, plan, range } = await createBackfill(db, loaded, req, config.backfillMaxRuns);
      const iso = planToIso(plan);
      notes(range);
      if (o.json) console.log(JSON.stringify({ backfillId: id, ...iso }));
      else console.log(`backfill ${id} of ${dagId}: ${iso.create.length} to create, ${iso.clear.length} to clear, ${iso.skip.length} left alone`);
      if (!o.wait) return 0;
      const end = await waitForBackfill(db, id, o.pollMs ?? 500);
      if (end.state === "canceled") console.error(`backfill ${id} was canceled`);
      return end.state === "completed" && end.progress.failed === 0 ? 0 : 1;
    } catch (err) {
      if (err instanceof BackfillError) throw new CliError(err.message);
      throw err;
    }
  });
}
