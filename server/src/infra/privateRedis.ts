import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import { delimiter, join, resolve } from "node:path";
import { Redis } from "ioredis";
import { findFreePort } from "./freePort";
import { isProcessAlive, waitForProcessExit } from "./processLiveness";

/** A private redis-server that Runnel started under `.runnel/redis`. */
export interface PrivateRedis {
  url: string;
  /** SIGTERM (Redis flushes its AOF), then waits for the exit; SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

/** Where and how to run the private server. */
export interface PrivateRedisOptions {
  /** Path of the redis-server binary (see {@link findOnPath}). */
  binary: string;
  /** Working directory for the AOF files, e.g. `<repo>/.runnel/redis`. */
  dir: string;
  /** First port to try; the next free one is used when it is taken. */
  preferredPort: number;
  log: (msg: string) => void;
  /** How long to wait for the first PING; default 15 s. */
  startTimeoutMs?: number;
}

const OUTPUT_TAIL_CHARS = 4000;

/** The first executable named `name` on PATH, or undefined. */
export async function findOnPath(name: string, pathEnv = process.env.PATH ?? ""): Promise<string | undefined> {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * Sends PING to `url` once, without retries or reconnects.
 * Resolves on PONG; rejects with the underlying socket error (e.g. code ECONNREFUSED).
 */
export async function pingRedis(url: string, timeoutMs = 2000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let lastError: unknown;
  redis.on("error", (err: unknown) => {
    lastError = err;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    // ioredis reports "Connection is closed." here; the socket's own error says why.
    throw lastError ?? err;
  } finally {
    redis.disconnect();
  }
}

/** The working directory and pid of the Redis at `url`, if one answers. */
async function describeRunningRedis(url: string): Promise<{ dir: string; pid: number } | undefined> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000, retryStrategy: () => null });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    const [, dir] = (await redis.config("GET", "dir")) as string[];
    const pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
    return dir !== undefined && Number.isInteger(pid) ? { dir, pid } : undefined;
  } catch {
    return undefined;
  } finally {
    redis.disconnect();
  }
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done(true);
    });
  });
}

async function waitUntilAnswering(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}) before answering PING:\n${output()}`);
    }
    try {
      await pingRedis(url, 500);
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING at ${url} within ${timeoutMs} ms: ${String(err)}\n${output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts `redis-server` on 127.0.0.1 with AOF on, `noeviction` (BullMQ must never lose keys) and no
 * RDB snapshots, as a child of this process. A server from an earlier, crashed run that still
 * serves the same directory on the preferred port is reused.
 */
export async function startPrivateRedis(options: PrivateRedisOptions): Promise<PrivateRedis> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const preferredUrl = `redis://127.0.0.1:${options.preferredPort}`;
  // Two servers appending to one AOF directory would corrupt it, so a leftover from a crashed run is adopted.
  const leftover = await describeRunningRedis(preferredUrl);
  if (leftover?.dir === dir) {
    options.log(`Reusing the private Redis left running by an earlier run (pid ${leftover.pid}) at ${preferredUrl} (AOF in ${dir})`);
    let stopped = false;
    return {
      url: preferredUrl,
      async stop() {
        if (stopped) return;
        stopped = true;
        if (isProcessAlive(leftover.pid)) process.kill(leftover.pid, "SIGTERM");
        if (!(await waitForProcessExit(leftover.pid, 10_000)) && isProcessAlive(leftover.pid)) {
          process.kill(leftover.pid, "SIGKILL");
          await waitForProcessExit(leftover.pid, 5_000);
        }
      },
    };
  }

  const port = await findFreePort(options.preferredPort);
  const url = `redis://127.0.0.1:${port}`;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", "", "--daemonize", "no"];
  const child = spawn(options.binary, args, { detached: false, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const spawnFailed = new Promise<never>((_, reject) => child.once("error", reject));
  spawnFailed.catch(() => undefined);
  const killOnExit = (): void => {
    if (child.exitCode === null) child.kill("SIGTERM");
  };
  process.on("exit", killOnExit);

  try {
    await Promise.race([waitUntilAnswering(url, child, () => output, options.startTimeoutMs ?? 15_000), spawnFailed]);
  } catch (err) {
    process.removeListener("exit", killOnExit);
    child.kill("SIGKILL");
    throw err;
  }
  options.log(`Started a private Redis (${options.binary}, pid ${child.pid}) at ${url} (AOF in ${dir})`);

  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        process.removeListener("exit", killOnExit);
        child.kill("SIGTERM");
        if (!(await waitForExit(child, 10_000))) {
          child.kill("SIGKILL");
          await waitForExit(child, 5_000);
        }
      })();
      return stopping;
    },
  };
}
