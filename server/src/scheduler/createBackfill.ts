import type { LoadedDag } from "../dags/dagFolder";
import { clipToDagDates, intervalsInRange, isScheduleError, parseDateInZone, type ClippedRange, type DataInterval } from "../schedule/index";
import type { Db } from "../store/db";
import { existingRunsInRange, insertBackfill, type PlannedDate } from "../store/backfills";
import { BackfillOrder, type BackfillOrder as Order, type ReprocessMode } from "../model/states";
import { planBackfill, type BackfillPlan } from "./planBackfill";
import { WakeReason } from "../model/schedulerWake";
import { wakeSchedulers } from "./schedulerWake";

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
  /** The range backfilled: the requested one clipped to the DAG's startDate/endDate. */
  from: Date;
  to: Date;
  /** The requested range and the parts of it outside the DAG's dates (left out). */
  range: ClippedRange;
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

const iso = (d: Date): string => d.toISOString();

/**
 * The requested range clipped to the DAG's dates, and its intervals, with every rule of a valid
 * range checked. A range partly outside startDate..endDate is clipped (Airflow's
 * `iter_dagrun_infos_between`); one entirely outside is refused.
 */
function intervalsFor(loaded: LoadedDag, from: Date, to: Date, maxRuns: number): { range: ClippedRange; inside: { from: Date; to: Date }; intervals: DataInterval[] } {
  const { dagId } = loaded.serialized;
  const s = loaded.schedule;
  if (s.cron === null) throw new BackfillError(`DAG "${dagId}" has no schedule, so it has no logical dates to backfill (trigger manual runs instead)`, "dagId");
  if (to.getTime() < from.getTime()) throw new BackfillError(`to (${iso(to)}) is before from (${iso(from)})`, "to");
  const range = clipToDagDates(s, from, to);
  const { inside } = range;
  if (inside === null) {
    const why =
      range.beforeStartDate && s.startDate ? `before the DAG's startDate (${iso(s.startDate)})` : s.endDate ? `after the DAG's endDate (${iso(s.endDate)})` : "outside the DAG's dates";
    throw new BackfillError(`the range [${iso(from)}, ${iso(to)}] lies entirely ${why}: nothing to backfill`, range.beforeStartDate ? "to" : "from");
  }
  let intervals: DataInterval[];
  try {
    intervals = intervalsInRange(s, inside.from, inside.to, maxRuns);
  } catch (err) {
    if (!isScheduleError(err)) throw err;
    throw new BackfillError(`the range holds more than ${maxRuns} runs (RUNNEL_BACKFILL_MAX_RUNS); narrow it or backfill it in parts`, "to");
  }
  if (!intervals.length) throw new BackfillError(`no logical date of DAG "${dagId}" falls in [${iso(inside.from)}, ${iso(inside.to)}]`, "from");
  return { range, inside, intervals };
}

/**
 * Validates a backfill request against the DAG and plans it (pure plan over the runs that exist
 * now). Writes nothing: the dry run answers this plan.
 * A range partly outside the DAG's startDate/endDate is clipped to them (`range` says which part).
 * @throws BackfillError for a DAG without schedule, to before from, a range entirely outside the
 *   DAG's startDate/endDate, more than `maxRuns` dates, an empty range, or invalid params.
 */
export async function prepareBackfill(db: Db, loaded: LoadedDag, req: BackfillRequestInput, maxRuns: number): Promise<PreparedBackfill> {
  const tz = loaded.serialized.timezone;
  const from = parseDate(req.from, tz, "from");
  const to = parseDate(req.to, tz, "to");
  const { range, inside, intervals } = intervalsFor(loaded, from, to, maxRuns);
  validateConf(loaded, req.conf ?? {});
  const existing = await existingRunsInRange(db, loaded.serialized.dagId, inside.from, inside.to);
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
  return { from: inside.from, to: inside.to, range, intervals, plan, planned };
}

/** Validates, plans and stores a backfill (state running) and wakes the schedulers, which launch its first runs at once. */
export async function createBackfill(db: Db, loaded: LoadedDag, req: BackfillRequestInput, maxRuns: number): Promise<{ id: number; plan: BackfillPlan; range: ClippedRange; from: Date; to: Date }> {
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
  await wakeSchedulers(db, WakeReason.backfill, loaded.serialized.dagId);
  return { id, plan: prepared.plan, range: prepared.range, from: prepared.from, to: prepared.to };
}
