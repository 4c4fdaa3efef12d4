/**
 * The Runnel SDK: everything a DAG file imports. It imports nothing from the engine.
 * @packageDocumentation
 */
export { defineDag, isDagDefinition } from "./defineDag";
export type { DagDefinition, DagBuilder, TaskSpec, SensorSpec } from "./defineDag";
export { NonRetryableError, RetryAfterError, SkipError, TaskTimeoutError, runnelErrorCode } from "./errors";
export type { RunnelErrorCode } from "./errors";
export { parseDuration } from "./duration";
export type { Duration } from "./duration";
export type * from "./types";
export { TriggerRule } from "../model/states";
export { DeadlineFrom } from "../model/alerts";
export { CheckSeverity, expectationName } from "./checks";
export type { CheckDefinition, CheckOptions, CheckOutput, Expectation, ExpectationKind } from "./checks";
export type { CheckSpec } from "./defineDag";
