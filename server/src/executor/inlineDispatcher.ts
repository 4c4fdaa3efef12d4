import { jobIdFor, type Dispatcher, type TaskJob } from "./dispatcher";

/**
 * Runs tries in this process instead of BullMQ (`dags test`): jobs wait in memory until their
 * delay passes, and `next()` hands them out one at a time in the order they became due.
 */
export class InlineDispatcher implements Dispatcher {
  private jobs: { job: TaskJob; dueAt: number; seq: number }[] = [];
  private seq = 0;

  async enqueue(jobs: readonly TaskJob[]): Promise<void> {
    const now = Date.now();
    for (const job of jobs) {
      const jobId = jobIdFor(job.id, job.tryNumber, job.poke);
      if (this.jobs.some((j) => jobIdFor(j.job.id, j.job.tryNumber, j.job.poke) === jobId)) continue; // same job id: no-op, like BullMQ
      this.jobs.push({ job, dueAt: now + (job.delayMs ?? 0), seq: this.seq++ });
    }
  }

  get size(): number {
    return this.jobs.length;
  }

  /** The next due job, waiting for its delay; undefined when none is left. */
  async next(): Promise<TaskJob | undefined> {
    if (!this.jobs.length) return undefined;
    this.jobs.sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    const first = this.jobs.shift()!;
    const wait = first.dueAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    return first.job;
  }
}
