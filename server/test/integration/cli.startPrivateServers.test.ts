import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_SHUTDOWN_GRACE_MS } from "../../src/cli/shutdown";
import { findFreePort } from "../../src/infra/freePort";
import { ownerFilePath, type FolderOwner } from "../../src/infra/folderOwner";
import { isRoot, lookupOsUser } from "../../src/infra/osUser";
import { pingRedis } from "../../src/infra/privateRedis";
import { isProcessAlive, waitForProcessExit } from "../../src/infra/processLiveness";
import { ENGINE_DAGS, RUNNEL_BIN } from "../helpers/engine";

// Real `runnel start` processes on private servers they start themselves under a temp folder. The
// shared 5432/6379 must look unreachable to them, so their default URLs point at closed ports.
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

const run = promisify(execFile);
let workDir: string;
let env: NodeJS.ProcessEnv;

async function setUp(): Promise<void> {
  workDir = await mkdtemp(join(tmpdir(), "runnel-startpriv-"));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));
  if (isRoot()) {
    // PostgreSQL refuses to run as root: the private server runs as `postgres`, which must reach its data.
    const ids = await lookupOsUser("postgres");
    if (ids) await chown(workDir, ids.uid, ids.gid);
  }
  await mkdir(join(workDir, "scratch"));
  const closed = async (): Promise<number> => findFreePort(20_000 + Math.floor(Math.random() * 20_000));
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...rest } = process.env;
  env = {
    ...rest,
    RUNNEL_DEFAULT_DATABASE_URL: `postgres://postgres@127.0.0.1:${await closed()}/runnel`,
    RUNNEL_DEFAULT_REDIS_URL: `redis://127.0.0.1:${await closed()}`,
    RUNNEL_DAGS_FOLDER: ENGINE_DAGS,
    RUNNEL_QUEUE_PREFIX: `rtest:startpriv:${randomBytes(4).toString("hex")}`,
    RUNNEL_ADMIN_PASSWORD: "admin-pw-startpriv",
    RUNNEL_LOG_LEVEL: "warn",
  };
}

/** A `runnel start` child in workDir. */
interface StartProcess {
  child: ChildProcess;
  port: number;
  output(): string;
  /** Resolves once it prints "Runnel is running"; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function spawnStart(): Promise<StartProcess> {
  const port = await findFreePort(28_000 + Math.floor(Math.random() * 10_000));
  const child = spawn(process.execPath, [RUNNEL_BIN, "start", "--port", String(port)], { cwd: workDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => void (output += c.toString()));
  child.stderr?.on("data", (c: Buffer) => void (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", () => {
      if (output.includes("Runnel is running")) resolve();
    });
    void exited.then(({ code, signal }) => reject(new Error(`runnel start exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  return { child, port, output: () => output, ready, exited };
}

/** Runs `runnel <args>` in workDir with the test's env; never throws on a non-zero exit. */
async function runnel(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [RUNNEL_BIN, ...args], { cwd: workDir, env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function owner(): Promise<FolderOwner> {
  return JSON.parse(await readFile(ownerFilePath(workDir), "utf8")) as FolderOwner;
}

async function postmasterPid(): Promise<number> {
  const text = await readFile(join(workDir, ".runnel", "pg", "postmaster.pid"), "utf8");
  return Number.parseInt(text.split("\n")[0] ?? "", 10);
}

async function health(port: number): Promise<{ status: number; ms: number; body: Record<string, unknown> }> {
  const t0 = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) });
  return { status: res.status, ms: Date.now() - t0, body: (await res.json()) as Record<string, unknown> };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** SIGTERM, then how long the process took to exit (failing past the grace period plus 5 s). */
async function terminate(p: StartProcess): Promise<{ ms: number; code: number | null }> {
  const t0 = Date.now();
  p.child.kill("SIGTERM");
  const bound = DEFAULT_SHUTDOWN_GRACE_MS + 5_000;
  const result = await Promise.race([p.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), bound))]);
  if (!result) throw new Error(`runnel start did not exit within ${bound} ms of SIGTERM:\n${p.output()}`);
  return { ms: Date.now() - t0, code: result.code };
}

/** The private Redis URL `runnel start` printed when it started it. */
function printedRedisUrl(p: StartProcess): string {
  const url = /Started a private Redis .* at (redis:\/\/127\.0\.0\.1:\d+)/.exec(p.output())?.[1];
  if (!url) throw new Error(`runnel start did not say it started a private Redis:\n${p.output()}`);
  return url;
}

describe("runnel start on private servers (real processes)", () => {
  let first: StartProcess;

  it("lets CLI commands reach its private servers, published in .runnel/start.json", { timeout: 120_000 }, async () => {
    await setUp();
    first = await spawnStart();
    await first.ready;
    const created = await runnel("users", "create", "alice", "--role", "admin", "--password", "alice-pw-123456");
    expect(created.stderr).not.toMatch(/cannot use the database/);
    expect(created.code).toBe(0);
    const listed = await runnel("dags", "list", "--json");
    expect(listed.code).toBe(0);

    const o = await owner();
    expect(o).toMatchObject({ pid: first.child.pid, port: first.port, host: "127.0.0.1", redisUrl: printedRedisUrl(first) });
    expect(o.databaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/runnel$/);
    const client = new pg.Client({ connectionString: o.databaseUrl });
    await client.connect();
    try {
      const row = await client.query("SELECT role FROM users WHERE username = 'alice'");
      expect(row.rows).toEqual([{ role: "admin" }]);
    } finally {
      await client.end();
    }
  });

  it("refuses a second `runnel start` in the same folder, naming the first's pid and port, and leaves the first running", { timeout: 90_000 }, async () => {
    const pgPid = await postmasterPid();
    const second = await spawnStart();
    const ended = await Promise.race([second.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000))]);
    if (!ended) second.child.kill("SIGKILL");
    expect(ended, `the second runnel start kept running:\n${second.output()}`).toBeDefined();
    expect(ended?.code).toBe(1);
    expect(second.output()).toContain(`in use by another \`runnel start\` (pid ${first.child.pid}, on port ${first.port}`);
    // The first keeps its servers.
    expect(isProcessAlive(pgPid)).toBe(true);
    await expect(pingRedis(printedRedisUrl(first), 1000)).resolves.toBeUndefined();
    expect((await health(first.port)).status).toBe(200);
  });

  it("with its Redis stopped, /health answers 503 naming redis within 2 s", { timeout: 30_000 }, async () => {
    const redisUrl = printedRedisUrl(first);
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on("error", () => undefined);
    await redis.call("SHUTDOWN", "NOSAVE").catch(() => undefined);
    redis.disconnect();
    await expect(pingRedis(redisUrl, 500)).rejects.toMatchObject({ code: "ECONNREFUSED" });

    const h = await health(first.port);
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ redis: "down", postgres: "ok", failing: ["redis"] });
  });

  it("with its Redis stopped, SIGTERM ends it within the grace period and stops its private PostgreSQL", { timeout: 90_000 }, async () => {
    const pgPid = await postmasterPid();
    const t = await terminate(first);
    console.log(`SIGTERM with Redis stopped: exited in ${t.ms} ms (code ${t.code})`);
    expect(await waitForProcessExit(pgPid, 1000)).toBe(true);
    expect(await exists(ownerFilePath(workDir))).toBe(false);
  });

  let again: StartProcess;
  it("with its PostgreSQL stopped, /health answers 503 naming postgres within 2 s (a stale start.json does not block the start)", { timeout: 120_000 }, async () => {
    // The first one is gone: its owner file, were it left behind, is stale and must not block.
    await writeFile(ownerFilePath(workDir), JSON.stringify({ pid: first.child.pid, host: "127.0.0.1", port: first.port, startedAt: new Date().toISOString() }));
    again = await spawnStart();
    await again.ready;
    const pgPid = await postmasterPid();
    process.kill(pgPid, "SIGINT");
    expect(await waitForProcessExit(pgPid, 20_000)).toBe(true);

    const h = await health(again.port);
    expect(h.status).toBe(503);
    expect(h.body).toMatchObject({ postgres: "down", redis: "ok", failing: ["postgres"] });
  });

  it("with its PostgreSQL stopped, SIGTERM ends it within the grace period and stops its private Redis", { timeout: 90_000 }, async () => {
    const t = await terminate(again);
    console.log(`SIGTERM with PostgreSQL stopped: exited in ${t.ms} ms (code ${t.code})`);
    await expect(pingRedis(printedRedisUrl(again), 500)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(await exists(ownerFilePath(workDir))).toBe(false);
  });

  it("with its PostgreSQL hanging (SIGSTOP), SIGTERM then SIGINT ends it at once and stops both private servers", { timeout: 120_000 }, async () => {
    const third = await spawnStart();
    await third.ready;
    const pgPid = await postmasterPid();
    process.kill(pgPid, "SIGSTOP");
    cleanups.push(async () => void (isProcessAlive(pgPid) && process.kill(pgPid, "SIGKILL")));
    const t0 = Date.now();
    third.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    third.child.kill("SIGINT");
    const ended = await Promise.race([third.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    expect(ended, `runnel start ignored the second signal:\n${third.output()}`).toBeDefined();
    console.log(`SIGTERM + SIGINT with PostgreSQL stopped by SIGSTOP: exited in ${Date.now() - t0} ms (code ${ended?.code})`);
    expect(await waitForProcessExit(pgPid, 1000)).toBe(true);
    await expect(pingRedis(printedRedisUrl(third), 500)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("with its PostgreSQL stopped while a try runs, SIGTERM ends it within the grace period and stops its private Redis", { timeout: 120_000 }, async () => {
    const fourth = await spawnStart();
    await fourth.ready;
    const scratch = join(workDir, "scratch");
    const triggered = await runnel("dags", "trigger", "gated", "--conf", JSON.stringify({ scratch }));
    expect(triggered.code, triggered.stderr).toBe(0);
    const { runId } = JSON.parse(triggered.stdout) as { runId: string };
    const started = join(scratch, `${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.started`);
    const deadline = Date.now() + 30_000;
    while (!existsSync(started)) {
      if (Date.now() > deadline) throw new Error(`gate never started:\n${fourth.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pgPid = await postmasterPid();
    process.kill(pgPid, "SIGINT");
    expect(await waitForProcessExit(pgPid, 20_000)).toBe(true);

    const t = await terminate(fourth);
    console.log(`SIGTERM with PostgreSQL stopped and a try running: exited in ${t.ms} ms (code ${t.code})`);
    await expect(pingRedis(printedRedisUrl(fourth), 500)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(await exists(ownerFilePath(workDir))).toBe(false);
  });
});
