import type { OpenLineageConfig } from "../../config/config";
import type { SerializedTask } from "../../model/graph";
import type { TryEnd, TryObserver } from "../../executor/tryObserver";
import { TaskState } from "../../model/states";
import type { Db } from "../../store/db";
import type { ClaimedTry } from "../../store/taskTries";
import { datasetUrisWrittenByTry } from "../../store/tryDatasetWrites";
import type { Logger } from "../logger";
import type { RunnelMetrics } from "../metrics";
import { LineageEmitter } from "./emitter";
import { buildRunEvent, LineageEventType, lineageDatasets, warehouseNaming, type DatasetNaming, type RunEvent, type TryFacts } from "./events";
import { FileTransport, HttpTransport, type LineageTransport } from "./transport";

/** The OpenLineage event type a try's end is reported as; null: none (the try goes on). */
export function endEventType(state: TryEnd["state"]): LineageEventType | null {
  switch (state) {
    case TaskState.success:
    case TaskState.skipped:
      return LineageEventType.complete;
    case TaskState.failed:
    case TaskState.up_for_retry:
      return LineageEventType.fail;
    case TaskState.up_for_reschedule:
      return null;
    default:
      // stale (the fence refused the completion) and anything unexpected: the try's result was discarded.
      return LineageEventType.abort;
  }
}

/** What `OpenLineageTryObserver` needs. */
export interface TryLineageDeps {
  emitter: LineageEmitter;
  /** Job namespace. */
  namespace: string;
  naming: DatasetNaming;
  /** Reads the datasets a try wrote, for COMPLETE events. */
  writtenBy: (taskInstanceId: number, tryNumber: number) => Promise<string[]>;
  log: Logger;
  clock?: () => Date;
}

/**
 * Turns try starts and ends into OpenLineage RunEvents: START when a try starts, COMPLETE (success
 * or skip), FAIL (failure, also when a retry follows) or ABORT (the completion lost the fence).
 * Inputs and outputs are the task's declared datasets; COMPLETE adds the datasets the try actually
 * wrote (`dataset_events`), read in the background so the task never waits for it.
 */
export class OpenLineageTryObserver implements TryObserver {
  private readonly clock: () => Date;

  constructor(private readonly deps: TryLineageDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  started(claim: ClaimedTry, task: SerializedTask | undefined): void {
    this.deps.emitter.emit(this.event(LineageEventType.start, claim.startDate, claim, task, []));
  }

  finished(claim: ClaimedTry, task: SerializedTask | undefined, end: TryEnd): void {
    const type = endEventType(end.state);
    if (type === null) return;
    const at = this.clock();
    if (type !== LineageEventType.complete) {
      this.deps.emitter.emit(this.event(type, at, claim, task, [], type === LineageEventType.fail ? (end.error ?? "task failed") : undefined));
      return;
    }
    const pending = this.deps.writtenBy(claim.id, claim.tryNumber).then(
      (written) => this.event(type, at, claim, task, written),
      (err: unknown) => {
        this.deps.log.warn({ err, taskInstanceId: claim.id, try: claim.tryNumber }, "OpenLineage: could not read the datasets a try wrote; sending its declared outputs only");
        return this.event(type, at, claim, task, []);
      },
    );
    this.deps.emitter.emit(pending);
  }

  private event(type: LineageEventType, at: Date, claim: ClaimedTry, task: SerializedTask | undefined, written: readonly string[], error?: string): RunEvent {
    const facts: TryFacts = {
      dagId: claim.dagId,
      taskId: claim.taskId,
      taskInstanceId: claim.id,
      tryNumber: claim.tryNumber,
      dagRunId: claim.dagRunId,
      dataIntervalStart: claim.dataIntervalStart,
      dataIntervalEnd: claim.dataIntervalEnd,
    };
    return buildRunEvent({
      eventType: type,
      eventTime: at,
      namespace: this.deps.namespace,
      try: facts,
      inputs: lineageDatasets(task?.inputs ?? [], this.deps.naming),
      outputs: lineageDatasets([...(task?.outputs ?? []), ...written], this.deps.naming),
      error,
    });
  }
}

/** OpenLineage export of one worker: its observer, and the emitter to close on shutdown. */
export interface TryLineage {
  observer: OpenLineageTryObserver;
  emitter: LineageEmitter;
}

/** Builds the export for `config` (transports from RUNNEL_OPENLINEAGE_URL / RUNNEL_OPENLINEAGE_FILE). */
export function createTryLineage(
  config: OpenLineageConfig,
  deps: { db: Db; log: Logger; metrics?: RunnelMetrics; warehouseUrl: string; warehouseSchema: string; fetch?: typeof fetch },
): TryLineage {
  const transports: LineageTransport[] = [];
  if (config.url) transports.push(new HttpTransport({ url: config.url, fetch: deps.fetch }));
  if (config.file) transports.push(new FileTransport(config.file));
  const emitter = new LineageEmitter({ transports, log: deps.log, metrics: deps.metrics });
  const observer = new OpenLineageTryObserver({
    emitter,
    namespace: config.namespace,
    naming: warehouseNaming(deps.warehouseUrl, deps.warehouseSchema, config.datasetNamespace),
    writtenBy: (id, tryNumber) => datasetUrisWrittenByTry(deps.db, id, tryNumber),
    log: deps.log,
  });
  deps.log.info({ transports: transports.map((t) => t.name), namespace: config.namespace }, "OpenLineage export on");
  return { observer, emitter };
}
