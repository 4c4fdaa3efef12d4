import { Worker } from "node:worker_threads";
import type { SerializedDag } from "../model/graph";
import type { DagListing } from "./dagList";

/** The single pass of the worker thread; past it the folder is listed again the careful way. */
const ONE_PASS_TIMEOUT_MS = 30_000;

type WorkerReply = { ok: true; listing: DagListing } | { ok: false; name: string; message: string };

/** An error that crossed the thread boundary, keeping its name (so `runnel: <message>` stays one line). */
class RelayedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The listing from one worker thread that loads each DAG file once, without a probe thread per
 * file: the thread is the probe. Undefined when that pass did not end in time or the thread ended
 * (a DAG file that never finishes loading, or that exits): the caller then lists the careful way.
 */
function listInOneThread(): Promise<DagListing | undefined> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./dagListWorker.mjs", import.meta.url));
    let settled = false;
    // The thread is stopped however the pass ends: a DAG file's timer must not keep this process up.
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate().then(fn);
    };
    const timer = setTimeout(() => settle(() => resolve(undefined)), ONE_PASS_TIMEOUT_MS);
    worker.once("message", (reply: WorkerReply) => settle(() => (reply.ok ? resolve(reply.listing) : reject(new RelayedError(reply.name, reply.message)))));
    worker.once("error", () => settle(() => resolve(undefined)));
    worker.once("exit", () => settle(() => resolve(undefined)));
  });
}

function scheduleText(schedule: SerializedDag["schedule"]): string {
  if (schedule === null) return "manual";
  return typeof schedule === "string" ? schedule : `datasets: ${schedule.datasets.join(", ")}`;
}

/**
 * `dags list`: the DAGs in the folder with their schedule and paused flag (`?`, `null` in JSON,
 * when the database does not answer), then import errors. The files are loaded in one worker
 * thread, each once; when that pass does not end (a file that never finishes loading, or exits),
 * they are loaded again with a probe thread per file, which names the file as an import error.
 */
export async function listDags(json: boolean): Promise<void> {
  const listing = (await listInOneThread()) ?? (await (await import("./dagList")).collectDagList());
  if (listing.pausedUnknown) console.error(`runnel: paused flags unknown: ${listing.pausedUnknown}`);
  if (json) {
    console.log(JSON.stringify({ dags: listing.dags, importErrors: listing.importErrors }, null, 2));
    return;
  }
  const state = (p: boolean | null): string => (p === null ? "?      " : p ? "paused " : "active ");
  for (const d of listing.dags) console.log(`${d.dagId.padEnd(28)} ${scheduleText(d.schedule).padEnd(14)} ${state(d.paused)} ${d.tasks} tasks  ${d.fileloc}`);
  for (const e of listing.importErrors) console.log(`IMPORT ERROR ${e.fileloc}: ${e.message}`);
}
