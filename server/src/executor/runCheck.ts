import type { CheckOutput } from "../sdk/checks";
import type { CheckSpec } from "../sdk/defineDag";
import { NonRetryableError } from "../sdk/errors";
import type { TaskContext } from "../sdk/types";
import { recordCheckResults } from "../store/checks";
import type { Db } from "../store/db";
import { evaluateExpectation, type ExpectationResult } from "./checkEvaluation";
import { gatherStats } from "./checkStats";

/** The try a check runs in. */
export interface CheckTry {
  db: Db;
  dagRunId: number;
  taskInstanceId: number;
  tryNumber: number;
}

/** One line per failed expectation: what it wanted and what it saw. */
export function describeFailures(failed: readonly ExpectationResult[]): string {
  return failed.map((r) => `${r.expectation}: ${r.observed}; expected ${r.threshold}`).join("\n  - ");
}

/**
 * The body of a `dag.check` task: gather each expectation's statistics on the run's partition,
 * judge them, store every result (`check_results`), then fail with a NonRetryableError listing
 * the failed expectations (severity "error") or log them as warnings (severity "warn"). A SQL
 * error (missing table or column) is an ordinary failure, retried per the task's policy.
 */
export async function runCheck(check: CheckSpec, ctx: TaskContext<unknown, unknown>, at: CheckTry): Promise<CheckOutput> {
  const results = await judgeCheck(check, ctx);
  await recordCheckResults(
    at.db,
    { dagRunId: at.dagRunId, taskInstanceId: at.taskInstanceId, dagId: ctx.dagId, taskId: ctx.taskId, tryNumber: at.tryNumber, partition: ctx.partition, dataset: check.dataset, severity: check.severity },
    results,
  );
  return concludeCheck(check, ctx, results);
}

/** Gathers each expectation's statistics on the run's partition and judges them (stores nothing; `tasks test` stops here). */
export async function judgeCheck(check: CheckSpec, ctx: TaskContext<unknown, unknown>): Promise<ExpectationResult[]> {
  const target = { dataset: check.dataset, partitionColumn: check.partitionColumn, partition: ctx.partition };
  // The checked partition is an input of the check (lineage: re-checked when it is reprocessed).
  await ctx.partitions.markRead(check.dataset, [ctx.partition]);
  const results: ExpectationResult[] = [];
  for (const e of check.expect) {
    const stats = await gatherStats(ctx.warehouse, target, e);
    results.push(evaluateExpectation(e, stats, { referenceTime: ctx.dataInterval.end }));
  }
  return results;
}

/** Logs the results and fails (severity "error") or warns (severity "warn") on the failed ones. */
export function concludeCheck(check: CheckSpec, ctx: TaskContext<unknown, unknown>, results: readonly ExpectationResult[]): CheckOutput {
  const failed = results.filter((r) => !r.passed);
  for (const r of results) if (r.passed) ctx.log.info(`check passed: ${r.expectation}: ${r.observed}`);
  const summary = `${failed.length} of ${results.length} expectations failed on ${check.dataset} partition ${ctx.partition}`;
  if (failed.length > 0 && check.severity === "error") throw new NonRetryableError(`${summary}:\n  - ${describeFailures(failed)}`);
  for (const r of failed) ctx.log.warn(`check warning: ${r.expectation}: ${r.observed}; expected ${r.threshold}`);
  return { dataset: check.dataset, partition: ctx.partition, passed: results.length - failed.length, failed: failed.map((r) => r.expectation) };
}
