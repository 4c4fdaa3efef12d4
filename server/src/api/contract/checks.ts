/** API contract: data-quality check results of a run. See ../contract.ts. */
import { z } from "zod";
import { CHECK_SEVERITIES } from "../../sdk/checks";
import { isoString } from "./fields";

/**
 * One expectation of a check task's latest try (`dag.check`): `observed` and `threshold` are
 * display text (e.g. "1204" vs ">= 1"). A failed `error` check failed its task; a failed `warn` one only warns.
 */
export const RunCheckResultSchema = z.object({
  taskId: z.string(),
  taskInstanceId: z.number().int(),
  tryNumber: z.number().int(),
  dataset: z.string(),
  partition: z.string(),
  severity: z.enum(CHECK_SEVERITIES),
  expectation: z.string(),
  kind: z.string(),
  passed: z.boolean(),
  observed: z.string(),
  threshold: z.string(),
  checkedAt: isoString,
});
export type RunCheckResult = z.infer<typeof RunCheckResultSchema>;

/** `GET /api/runs/:dagRunId/checks`: every stored check result of the run, in the order they were written (404: no such run). */
export const RunChecksResponseSchema = z.object({ dagRunId: z.number().int(), checks: z.array(RunCheckResultSchema) });
export type RunChecksResponse = z.infer<typeof RunChecksResponseSchema>;
