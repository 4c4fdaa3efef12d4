import type { Dispatcher, TaskJob } from "../executor/dispatcher";
import type { SerializedDag } from "../model/graph";
import type { Db } from "../store/db";
import { queueScheduled, type QueuedTask, type Readied, type ReadyDispatch } from "../store/taskInstances";

/** The caps admission applies, read from each DAG's loaded graph (the DAG registry). */
export interface DagCaps {
  get(dagId: string): { serialized: Pick<SerializedDag, "maxActiveRuns" | "maxActiveTasks"> } | undefined;
}

/**
 * The one path from "ready" to "enqueued". Everything that makes task instances ready — the
 * scheduler's admission, a worker's fast follow and retries, clear / mark / replay / reprocess
 * from the API, backfills, reprocess waves and the reconciler — hands this service's policy to
 * the store verb that readies them (inside its transaction) and then gives the result to
 * `dispatch` after the commit:
 *
 * - **caps**: a DAG with `maxActiveTasks` never has ready work queued directly; it is left
 *   `scheduled` and `admitScheduled` moves it to `queued` within the cap (per-DAG advisory lock,
 *   SKIP LOCKED, so two schedulers never over-admit);
 * - **priority**: a task instance keeps its run's `queue_priority` (fresh before backfill) on
 *   every try, and BullMQ's priority is derived from it in one place (`bullPriority`);
 * - **push**: one `add`/`addBulk` with deterministic job ids, so a double dispatch is one job.
 */
export class TaskDispatch implements ReadyDispatch, Dispatcher {
  /**
   * `queueAll`: everything this process readies goes straight to queued and it never admits
   * `scheduled` work (`runnel dags test`, which runs its one test run itself: the schedulers'
   * capped admission must neither take its tasks nor hand it theirs).
   */
  constructor(private readonly deps: { db: Db; dispatcher: Dispatcher; dags: DagCaps; queueAll?: boolean }) {}

  /** maxActiveRuns / maxActiveTasks of a DAG (from its loaded version); null = unknown DAG. */
  limits(dagId: string): { maxActiveRuns: number; maxActiveTasks: number | null } | null {
    const s = this.deps.dags.get(dagId)?.serialized;
    return s ? { maxActiveRuns: s.maxActiveRuns, maxActiveTasks: s.maxActiveTasks } : null;
  }

  /** Ready work of an uncapped DAG is queued in the transaction that readied it; a capped DAG's waits for admission. */
  queueReady(dagId: string): boolean {
    if (this.deps.queueAll) return true;
    return (this.limits(dagId)?.maxActiveTasks ?? null) === null;
  }

  /** Pushes tries that a committed transaction moved to queued (or up_for_retry / up_for_reschedule, with their delay). */
  async enqueue(jobs: readonly TaskJob[]): Promise<void> {
    await this.deps.dispatcher.enqueue(jobs);
  }

  /** After the commit of a verb that readied work: push what it queued, admit what it left scheduled. */
  async dispatch(readied: Readied): Promise<void> {
    await this.enqueue(readied.queued);
    if (readied.scheduled && !this.deps.queueAll) await this.admitScheduled();
  }

  /** Capped admission: `scheduled` -> `queued` within maxActiveTasks (fresh before backfill, then priority weight), pushed in bulk. */
  async admitScheduled(batch = 1000): Promise<QueuedTask[]> {
    const queued = await queueScheduled(this.deps.db, batch, (dagId) => this.limits(dagId)?.maxActiveTasks ?? null);
    await this.enqueue(queued);
    return queued;
  }
}
