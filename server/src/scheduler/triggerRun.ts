import type { LoadedDag } from "../dags/dagFolder";
import { inferManualInterval, runIdFor } from "../schedule/index";
import type { Db } from "../store/db";
import { createRun } from "../store/runs";

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
  /** Default: now. */
  logicalDate?: Date;
  runId?: string;
  /** Prefix of generated run ids (e.g. "manual", "test"). */
  runType?: "manual";
  runIdPrefix?: string;
}

/**
 * Creates a manual run (queued; the scheduler starts it within maxActiveRuns). Params are
 * validated against the DAG's zod schema first; the stored conf is what the user gave, and
 * defaults apply when tasks parse it.
 */
export async function triggerRun(db: Db, loaded: LoadedDag, versionId: number, req: TriggerRequest = {}): Promise<{ dagRunId: number; runId: string }> {
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
  const logicalDate = req.logicalDate ?? new Date();
  if (Number.isNaN(logicalDate.getTime())) throw new TriggerError("logical date is not a valid date", "logicalDate");
  const interval = inferManualInterval(loaded.schedule, logicalDate);
  const runId = req.runId ?? runIdFor(req.runIdPrefix ?? "manual", logicalDate);
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
  return { dagRunId, runId };
}
