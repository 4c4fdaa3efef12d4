import { Worker } from "node:worker_threads";

/** What a probe found: the file loaded (or threw: the in-process load will say how), or it did not finish in time, or it ended its thread. */
export type ProbeResult = { kind: "settled" } | { kind: "timeout" } | { kind: "exited"; message: string };

interface Pending {
  id: number;
  resolve: (r: ProbeResult) => void;
  timer?: NodeJS.Timeout;
}

type WorkerMessage = { ready: true } | { id: number; ok: boolean; message?: string };

const WORKER_URL = new URL("./probeWorker.mjs", import.meta.url);
/** Starting the thread (tsx registration) is not the file's time; it gets its own, generous bound. */
const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Imports DAG files in a worker thread before the process imports them itself, so a file that
 * never finishes loading (an endless loop at its top level, or `process.exit()`) costs one
 * terminated thread instead of a hung scheduler. One thread serves one loading pass, one file
 * at a time; a timeout terminates it and the next probe starts a fresh one. Close it when the
 * pass is over (`withDagFileProbe`): a live thread keeps the process running.
 */
export class DagFileProbe {
  /**
   * @param opts.unref the thread keeps the process alive only while it probes a file (a probe kept
   *   across passes, as a DagRegistry keeps one so a reload does not start a thread each time)
   */
  constructor(private readonly opts: { unref?: boolean } = {}) {}

  private worker: Worker | undefined;
  private ready: Promise<boolean> | undefined;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  /** Probes `path` (files it imports from `root` are loaded fresh); the import gets `timeoutMs`. */
  probe(path: string, root: string, timeoutMs: number): Promise<ProbeResult> {
    const run = this.queue.then(() => this.probeNow(path, root, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Stops the thread (tests, shutdown). */
  async close(): Promise<void> {
    const w = this.worker;
    this.reset();
    await w?.terminate();
  }

  private async probeNow(path: string, root: string, timeoutMs: number): Promise<ProbeResult> {
    // A thread that cannot start (no worker threads, a broken install) must not stop DAG loading:
    // the file is then loaded in-process only, as before.
    if (!(await this.start())) return { kind: "settled" };
    const worker = this.worker!;
    worker.ref();
    const id = this.nextId++;
    return new Promise<ProbeResult>((resolve) => {
      const pending: Pending = { id, resolve };
      pending.timer = setTimeout(() => {
        this.finish(pending, { kind: "timeout" });
        void this.close();
      }, timeoutMs);
      this.pending = pending;
      worker.postMessage({ id, path, root });
    });
  }

  private start(): Promise<boolean> {
    if (this.ready) return this.ready;
    const worker = new Worker(WORKER_URL);
    this.worker = worker;
    this.ready = new Promise<boolean>((resolve) => {
      const startup = setTimeout(() => {
        resolve(false);
        void this.close();
      }, STARTUP_TIMEOUT_MS);
      startup.unref();
      worker.on("message", (m: WorkerMessage) => {
        if ("ready" in m) {
          clearTimeout(startup);
          resolve(true);
          return;
        }
        const p = this.pending;
        if (p && p.id === m.id) this.finish(p, { kind: "settled" });
      });
      const gone = (message: string): void => {
        clearTimeout(startup);
        resolve(false);
        if (this.worker !== worker) return;
        const p = this.pending;
        this.reset();
        if (p) this.finish(p, { kind: "exited", message });
      };
      worker.on("error", (err) => gone(`its loading thread failed: ${err.message}`));
      worker.on("exit", (code) => gone(`it ended the process while loading (exit code ${code})`));
    });
    return this.ready;
  }

  private finish(p: Pending, result: ProbeResult): void {
    clearTimeout(p.timer);
    // Idle between passes: an unref'd probe no longer keeps the process alive.
    if (this.opts.unref) this.worker?.unref();
    if (this.pending === p) this.pending = undefined;
    p.resolve(result);
  }

  private reset(): void {
    this.worker = undefined;
    this.ready = undefined;
  }
}

/**
 * Runs `fn` with a probe of its own and stops the probe's thread afterwards (a live worker thread
 * would keep the process running), or with `given` (left running: its owner closes it).
 */
export async function withDagFileProbe<T>(given: DagFileProbe | undefined, fn: (probe: DagFileProbe) => Promise<T>): Promise<T> {
  if (given) return fn(given);
  const probe = new DagFileProbe();
  try {
    return await fn(probe);
  } finally {
    await probe.close();
  }
}
