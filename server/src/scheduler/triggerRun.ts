import type { LoadedDag } from "../dags/dagFolder";
import { inferManualInterval, manualRunInterval, runIdFor, type CompiledSchedule, type DataInterval } from "../schedule/index";
import type { Db } from "../store/db";
import { createRun } from "../store/runs";
import { WakeReason } from "../model/schedulerWake";
import { wakeSchedulers } from "./schedulerWake";

/** A trigger request that cannot be honoured; the message names the bad field. */
export class TriggerError extends Error {
  override readonly name = "TriggerError";
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface TriggerRequest {
  conf?: Record<string, unknown>;
  /** Default: the start of the last complete interval at `now` (see `manualRunDates`). */
  logicalDate?: Date;
  /** The trigger time (default: the clock); injected by tests. */
  now?: Date;
  runId?: string;
  /** Prefix of generated run ids (e.g. "manual", "test"). */
  runType?: "manual";
  runIdPrefix?: string;
}

/** What a manual run covers: its logical date and data interval, and whether they were inferred. */
export interface ManualRunDates {
  logicalDate: Date;
  interval: DataInterval;
  /** True without a logical date: the last complete interval (Airflow's `infer_manual_data_interval`). */
  inferred: boolean;
}

/**
 * The dates of a manual run triggered at `now`. Without a logical date it covers the last
 * complete interval (`@daily` at 18:51 on 12-01: [11-30, 12-01), logical date 11-30), so it
 * never writes a partial interval; a DAG with no cron (schedule null, datasets, `@once`) gets
 * `[now, now]`. With a logical date: the interval starting there when it is a fire time, else
 * the fire times either side of it (`inferManualInterval`).
 */
export function manualRunDates(schedule: CompiledSchedule, logicalDate: Date | undefined, now: Date): ManualRunDates {
  if (logicalDate === undefined) {
    const interval = manualRunInterval(schedule, now);
    return { logicalDate: interval.start, interval, inferred: true };
  }
  if (Number.isNaN(logicalDate.getTime())) throw new TriggerError("logical date is not a valid date", "logicalDate");
  return { logicalDate, interval: inferManualInterval(schedule, logicalDate), inferred: false };
}

/**
 * Creates a manual run (queued) and wakes the schedulers, which start it at once within
 * maxActiveRuns (or on their next tick if the wake is lost). Params are
 * validated against the DAG's zod schema first; the stored conf is what the user gave, and
 * defaults apply when tasks parse it.
 */
export async function triggerRun(db: Db, loaded: LoadedDag, versionId: number, req: TriggerRequest = {}): Promise<{ dagRunId: number; runId: string } & ManualRunDates> {
  const conf = req.conf ?? {};
  const schema = loaded.dag.options.params;
  if (schema) {
    const parsed = schema.safeParse(conf);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const field = first?.path.join(".") || undefined;
      throw new TriggerError(`invalid params: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`, field);
    }
  }
  const now = req.now ?? new Date();
  const dates = manualRunDates(loaded.schedule, req.logicalDate, now);
  const { logicalDate, interval } = dates;
  // An inferred run is named by its trigger time (Airflow's manual__<now>), so triggering twice
  // makes two runs of the same interval rather than a conflict.
  const runId = req.runId ?? runIdFor(req.runIdPrefix ?? "manual", dates.inferred ? now : logicalDate);
  const dagRunId = await createRun(db, {
    dagId: loaded.serialized.dagId,
    runId,
    runType: "manual",
    logicalDate,
    dataIntervalStart: interval.start,
    dataIntervalEnd: interval.end,
    versionId,
    graph: loaded.serialized,
    conf,
  });
  if (dagRunId === null) throw new TriggerError(`a run with id "${runId}" already exists for DAG ${loaded.serialized.dagId}`, "runId");
  await wakeSchedulers(db, WakeReason.run, loaded.serialized.dagId);
  return { dagRunId, runId, ...dates };
}
