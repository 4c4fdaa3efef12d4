import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./paths";
import { TEST_REDIS_URL, createDatabase, deleteRedisKeys, dropDatabase, uniqueName } from "./testServices";

/** A `runnel start` process with its own database and queue prefix. */
export interface Stack {
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  baseUrl: string;
  databaseUrl: string;
  /** A folder of this stack's own (RUNNEL_E2E_SCRATCH of the server): e.g. marker files the e2e DAGs look for. Removed by stop(). */
  scratchDir: string;
  /** SIGTERM, wait for the exit (SIGKILL after 20 s), drop the database and the queue keys. Idempotent. */
  stop(): Promise<void>;
  /** The last few KB of the process's stdout and stderr, for failure messages. */
  output(): string;
}

export interface StackOptions {
  /** How long `GET /health` may take to answer 200; default 90 s (tsx compiles, migrations run). */
  startTimeoutMs?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
}

const OUTPUT_TAIL_CHARS = 8000;

/** The DAG folder of the test stacks: the example DAGs (re-exported) plus DAGs only the tests need. */
export const E2E_DAGS_FOLDER = join(REPO_ROOT, "e2e", "dags");

/** The password of the `admin` user every test stack creates on first start. */
export const E2E_ADMIN_PASSWORD = "e2e-admin-password-1";

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGroupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function waitForHealth(baseUrl: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`runnel start exited (${child.exitCode ?? child.signalCode}) before /health answered.\n--- output ---\n${output()}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`runnel start did not answer GET ${baseUrl}/health with 200 within ${timeoutMs} ms (last: ${last}).\n--- output ---\n${output()}`);
}

/**
 * Starts the whole product the way a user does (`runnel start`: scheduler, workers, API and UI in
 * one process) on a fresh database and a private queue prefix, serving e2e/dags/ (the example DAGs
 * plus test DAGs) with a scratch folder of its own in RUNNEL_E2E_SCRATCH.
 * Resolves once `GET /health` answers 200; on failure the error carries the process output.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dbName = uniqueName("runnel_e2e");
  const databaseUrl = await createDatabase(dbName);
  const scratchDir = await mkdtemp(join(tmpdir(), "runnel-e2e-scratch-"));
  const queuePrefix = uniqueName("e2e");
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  // Own process group: the bin wrapper runs the CLI in a child, and a signal to the group reaches both.
  const child = spawn(process.execPath, [join(REPO_ROOT, "server/bin/runnel.mjs"), "start", "--port", String(port), "--host", "127.0.0.1"], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      RUNNEL_QUEUE_PREFIX: queuePrefix,
      RUNNEL_DAGS_FOLDER: E2E_DAGS_FOLDER,
      RUNNEL_E2E_SCRATCH: scratchDir,
      RUNNEL_ADMIN_PASSWORD: E2E_ADMIN_PASSWORD,
      ...options.env,
    },
  });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not spawn runnel start");

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (groupAlive(pid)) process.kill(-pid, "SIGTERM");
      if (!(await waitGroupGone(pid, 20_000))) {
        process.kill(-pid, "SIGKILL");
        await waitGroupGone(pid, 5_000);
      }
      await dropDatabase(dbName);
      await deleteRedisKeys(queuePrefix);
      await rm(scratchDir, { recursive: true, force: true });
    })());

  try {
    await waitForHealth(baseUrl, child, () => output, options.startTimeoutMs ?? 90_000);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return { baseUrl, databaseUrl, scratchDir, stop, output: () => output };
}
