import { importDagModule } from "../../dags/importDagModule";
import { isDagDefinition } from "../../sdk/defineDag";
import { retryAfterDelay, runnelErrorCode } from "../../sdk/errors";
import type { TaskContext } from "../../sdk/types";
import { createDb } from "../../store/db";
import { AttemptLog, captureConsole, withAttemptLog } from "../attemptLog";
import { buildTaskContext, parseRunParams, TaskFailure } from "../taskContext";
import { createWarehouse } from "../warehouse";
import type { ChildTaskMessage, ChildTaskOutcome, ChildTaskRequest } from "./protocol";

/**
 * The child-process side of `isolation: "process"`: loads the DAG file, builds the task's context
 * with its own database and warehouse connections (so its writes record lineage and dead letters
 * exactly as in the worker), runs the function and reports the outcome. Log lines, including
 * console output, stream to the worker as they happen. Aborting is the worker's job: it kills
 * this process at the task's timeout.
 */
export async function runChildTask(req: ChildTaskRequest, send: (m: ChildTaskMessage) => Promise<void>): Promise<void> {
  captureConsole();
  // Lines stream to the worker, whose log of the try buffers and caps them (RUNNEL_MAX_LOG_BYTES_PER_TRY).
  const log = new AttemptLog((line) => void send({ type: "log", line }), { retain: false });
  const db = createDb(req.databaseUrl, { poolMax: 2, applicationName: "runnel-task-child" });
  const warehouse = createWarehouse(req.warehouseUrl, req.warehouseSchema);
  let outcome: ChildTaskOutcome;
  try {
    const output = await withAttemptLog(log, () => invoke(req, log, db, warehouse));
    outcome = { ok: true, output };
  } catch (err) {
    outcome = {
      ok: false,
      message: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error && err.stack ? err.stack : null,
      code: err instanceof TaskFailure ? err.code : (runnelErrorCode(err) ?? null),
      delayMs: retryAfterDelay(err) ?? null,
      engine: err instanceof TaskFailure,
    };
  }
  try {
    await send({ type: "result", outcome });
  } catch (err) {
    // The output could not be sent (not serializable): report that instead.
    await send({ type: "result", outcome: { ok: false, message: `task output could not be sent to the worker: ${(err as Error).message}`, stack: null, code: "OUTPUT_NOT_JSON", delayMs: null, engine: true } });
  } finally {
    await Promise.allSettled([db.destroy(), warehouse.close()]);
  }
}

async function invoke(req: ChildTaskRequest, log: AttemptLog, db: ReturnType<typeof createDb>, warehouse: ReturnType<typeof createWarehouse>): Promise<unknown> {
  const { claim } = req;
  const mod = (await importDagModule(req.dagFile, req.dagFolder)) as { default?: unknown };
  const dag = mod.default;
  if (!isDagDefinition(dag) || dag.id !== claim.dagId) throw new TaskFailure(`${req.dagFile} no longer defines DAG ${claim.dagId}`, "TASK_NOT_FOUND");
  const spec = dag.tasks.get(claim.taskId);
  if (!spec) throw new TaskFailure(`DAG ${claim.dagId} no longer has task ${claim.taskId}`, "TASK_NOT_FOUND");
  const params = parseRunParams(dag, claim.conf);
  const ctx = buildTaskContext({ claim, timezone: req.timezone, needs: spec.needs, params, log, signal: new AbortController().signal, db, warehouse });
  return spec.run(ctx as TaskContext<never, never>);
}
