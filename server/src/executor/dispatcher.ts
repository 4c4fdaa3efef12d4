import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { QueuedTask } from "../store/taskInstances";
import { QUEUE_PRIORITY } from "../store/runs";

/** The one BullMQ queue task tries travel on. */
export const TASK_QUEUE = "tasks";

/** Data of a BullMQ job: which try of which task instance to run. */
export interface TaskJobData {
  id: number;
  tryNumber: number;
  /** Which delivery of the try: 0 first, n the poke after n rescheduled sensor pokes (absent in older jobs). */
  poke?: number;
}

/** One try to push (see QueuedTask); BullMQ's priority is derived from its queue priority. */
export type TaskJob = QueuedTask;

/**
 * Deterministic job id: the same try enqueued twice (fast follow racing the reconciler, two
 * schedulers) is one job. A new try, or a cleared task, gets a new id. A rescheduled sensor
 * keeps its try number, so each later poke of the try is its own delivery `ti:<id>:<try>p<n>`
 * (n = pokes done; BullMQ refuses custom ids with more than three `:`-separated parts).
 */
export function jobIdFor(id: number, tryNumber: number, poke = 0): string {
  return poke > 0 ? `ti:${id}:${tryNumber}p${poke}` : `ti:${id}:${tryNumber}`;
}

/**
 * The job a dispatched task instance row should have in BullMQ (the reconciler's check):
 * `up_for_reschedule` rows wait for their next poke's job, others for the try's first delivery.
 */
export function jobIdForRow(row: { id: number; try_number: number; state?: string; sensor_pokes?: number }): string {
  return jobIdFor(row.id, row.try_number, pokeOfRow(row));
}

/** The poke number a dispatched row's job carries (0 unless the row waits for a rescheduled poke). */
export function pokeOfRow(row: { state?: string; sensor_pokes?: number }): number {
  return row.state === "up_for_reschedule" ? (row.sensor_pokes ?? 0) : 0;
}

/** Where tries go: BullMQ in production, an in-process loop for `dags test`. */
export interface Dispatcher {
  enqueue(jobs: readonly TaskJob[]): Promise<void>;
}

/**
 * BullMQ priority: fresh work carries none (BullMQ serves its plain wait list before any
 * prioritized job), backfill work is prioritized, heavier tasks first within it.
 */
export function bullPriority(job: QueuedTask): number | undefined {
  if (job.queuePriority < QUEUE_PRIORITY.backfill) return undefined;
  return Math.min(2_000_000, job.queuePriority * 1000 + Math.max(1, 1000 - job.priorityWeight));
}

function jobOptions(j: TaskJob): JobsOptions {
  return {
    jobId: jobIdFor(j.id, j.tryNumber, j.poke),
    delay: j.delayMs && j.delayMs > 0 ? j.delayMs : undefined,
    priority: bullPriority(j),
    attempts: 1,
    removeOnComplete: { age: 3600, count: 5000 },
    removeOnFail: { age: 24 * 3600 },
  };
}

function jobData(j: TaskJob): TaskJobData {
  return { id: j.id, tryNumber: j.tryNumber, poke: j.poke ?? 0 };
}

/** Pushes tries to BullMQ (add for one, addBulk for many). */
export class BullDispatcher implements Dispatcher {
  readonly queue: Queue<TaskJobData>;

  constructor(
    private readonly connection: Redis,
    prefix: string,
  ) {
    this.queue = new Queue<TaskJobData>(TASK_QUEUE, { connection, prefix });
  }

  async enqueue(jobs: readonly TaskJob[]): Promise<void> {
    if (!jobs.length) return;
    // One job (most fast follows) is cheaper through add than through addBulk's MULTI.
    if (jobs.length === 1) {
      const j = jobs[0]!;
      await this.queue.add(j.dagId, jobData(j), jobOptions(j));
      return;
    }
    await this.queue.addBulk(jobs.map((j) => ({ name: j.dagId, data: jobData(j), opts: jobOptions(j) })));
  }

  /**
   * Which of these job ids BullMQ will not deliver (the reconciler re-enqueues those): no job
   * under the id (Redis flushed or restarted, a crash between commit and enqueue), or a job that
   * already completed or failed and is only kept for inspection (removeOnComplete/removeOnFail).
   * Only a job waiting, active, delayed, prioritized or waiting for children counts as present.
   */
  async missingJobIds(jobIds: readonly string[]): Promise<Set<string>> {
    if (!jobIds.length) return new Set();
    const pipeline = this.connection.pipeline();
    for (const id of jobIds) {
      pipeline.exists(this.queue.toKey(id));
      pipeline.zscore(this.queue.toKey("completed"), id);
      pipeline.zscore(this.queue.toKey("failed"), id);
    }
    const results = (await pipeline.exec()) ?? [];
    const missing = new Set<string>();
    jobIds.forEach((id, i) => {
      const [exists, completed, failed] = results.slice(3 * i, 3 * i + 3);
      // A reply that errored proves nothing: leave that job alone this round.
      if (!exists || !completed || !failed || exists[0] || completed[0] || failed[0]) return;
      if (exists[1] === 0 || completed[1] !== null || failed[1] !== null) missing.add(id);
    });
    return missing;
  }

  /**
   * Removes these jobs (the completed or failed ones `missingJobIds` named) so their ids can be
   * added again; an id with no job is skipped. BullMQ refuses to remove a job a worker holds.
   */
  async removeJobs(jobIds: Iterable<string>): Promise<void> {
    await Promise.all([...jobIds].map((id) => this.queue.remove(id)));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
