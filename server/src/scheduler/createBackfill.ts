import type { LoadedDag } from "../dags/dagFolder";
import { intervalsInRange, isScheduleError, parseDateInZone, type DataInterval } from "../schedule/index";
import type { Db } from "../store/db";
import { existingRunsInRange, insertBackfill, type PlannedDate } from "../store/backfills";
import { BackfillOrder, type BackfillOrder as Order, type ReprocessMode } from "../model/states";
import { planBackfill, type BackfillPlan } from "./planBackfill";

/** A backfill request that cannot be honoured (answered 400); the message says why. */
export class BackfillError extends Error {
  override readonly name = "BackfillError";
  readonly code = "invalid_backfill";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** What a person asks for. Dates are text: YYYY-MM-DD (midnight in the DAG's timezone) or ISO. */
export interface BackfillRequestInput {
  from: string;
  to: string;
  reprocess: ReprocessMode;
  maxActiveRuns: number;
  order?: Order;
  conf?: Record<string, unknown>;
  createdBy?: string | null;
}

/** A validated, planned backfill (nothing written yet). */
export interface PreparedBackfill {
  from: Date;
  to: Date;
  intervals: DataInterval[];
  plan: BackfillPlan;
  planned: PlannedDate[];
}

function parseDate(text: string, tz: string, what: string): Date {
  try {
    return parseDateInZone(text, tz, what);
  } catch (err) {
    throw new BackfillError((err as Error).message, what);
  }
}

function validateConf(loaded: LoadedDag, conf: Record<string, unknown>): void {
  const parsed = loaded.dag.options.params?.safeParse(conf);
  if (parsed && !parsed.success) throw new BackfillError(`invalid params: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, "conf");
}

/** The intervals of [from, to], with every rule of a valid range checked. */
function intervalsFor(loaded: LoadedDag, from: Date, to: Date, maxRuns: number): DataInterval[] {
  const { dagId } = loaded.serialized;
  const s = loaded.schedule;
  if (s.cron === null) throw new BackfillError(`DAG "${dagId}" has no schedule, so it has no logical dates to backfill (trigger manual runs instead)`, "dagId");
  if (to.getTime() < from.getTime()) throw new BackfillError(`to (${to.toISOString()}) is before from (${from.toISOString()})`, "to");
  if (s.startDate && from.getTime() < s.startDate.getTime()) throw new BackfillError(`from (${from.toISOString()}) is before the DAG's startDate (${s.startDate.toISOString()})`, "from");
  if (s.endDate && to.getTime() > s.endDate.getTime()) throw new BackfillError(`to (${to.toISOString()}) is after the DAG's endDate (${s.endDate.toISOString()})`, "to");
  let intervals: DataInterval[];
  try {
    intervals = intervalsInRange(s, from, to, maxRuns);
  } catch (err) {
    if (!isScheduleError(err)) throw err;
    throw new BackfillError(`the range holds more than ${maxRuns} runs (RUNNEL_BACKFILL_MAX_RUNS); narrow it or backfill it in parts`, "to");
  }
  if (!intervals.length) throw new BackfillError(`no logical date of DAG "${dagId}" falls in [${from.toISOString()}, ${to.toISOString()}]`, "from");
  return intervals;
}

/**
 * Validates a backfill request against the DAG and plans it (pure plan over the runs that exist
 * now). Writes nothing: the dry run answers this plan.
 * @throws BackfillError for a DAG without schedule, to before from, a range outside the DAG's
 *   startDate/endDate, more than `maxRuns` dates, an empty range, or invalid params.
 */
export async function prepareBackfill(db: Db, loaded: LoadedDag, req: BackfillRequestInput, maxRuns: number): Promise<PreparedBackfill> {
  const tz = loaded.serialized.timezone;
  const from = parseDate(req.from, tz, "from");
  const to = parseDate(req.to, tz, "to");
  const intervals = intervalsFor(loaded, from, to, maxRuns);
  validateConf(loaded, req.conf ?? {});
  const existing = await existingRunsInRange(db, loaded.serialized.dagId, from, to);
  const plan = planBackfill(
    intervals.map((i) => i.start),
    existing,
    req.reprocess,
    req.order ?? BackfillOrder.oldest,
  );
  const actionOf = new Map<number, PlannedDate["action"]>();
  for (const k of ["create", "clear", "skip"] as const) for (const d of plan[k]) actionOf.set(d.getTime(), k);
  const planned = intervals.map((i) => ({
    logicalDate: i.start,
    dataIntervalEnd: i.end,
    action: actionOf.get(i.start.getTime()) ?? "skip",
    dagRunId: existing.get(i.start.getTime())?.id ?? null,
  }));
  return { from, to, intervals, plan, planned };
}

/** Validates, plans and stores a backfill (state running); the scheduler launches its runs. */
export async function createBackfill(db: Db, loaded: LoadedDag, req: BackfillRequestInput, maxRuns: number): Promise<{ id: number; plan: BackfillPlan }> {
  const prepared = await prepareBackfill(db, loaded, req, maxRuns);
  const id = await insertBackfill(db, {
    dagId: loaded.serialized.dagId,
    from: prepared.from,
    to: prepared.to,
    reprocess: req.reprocess,
    maxActiveRuns: req.maxActiveRuns,
    order: req.order ?? BackfillOrder.oldest,
    conf: req.conf ?? {},
    createdBy: req.createdBy ?? null,
    dates: prepared.planned,
  });
  return { id, plan: prepared.plan };
}
