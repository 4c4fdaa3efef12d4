import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";

/** Admin connection used to create and drop the bench database (trust auth by default). */
export const BENCH_ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface BenchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, empty database (the Runtime migrates it); `drop` removes it. */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `runnel_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: BENCH_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(BENCH_ADMIN_URL, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: BENCH_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A BullMQ key prefix no one else uses. */
export function benchPrefix(label: string): string {
  return `rbench:${label}:${randomBytes(4).toString("hex")}`;
}

/** Deletes every Redis key under `prefix:` (SCAN + UNLINK, so other users of the Redis are untouched). */
export async function deleteKeysWithPrefix(redisUrl: string, prefixes: readonly string[]): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 3, connectionName: "runnel-bench-cleanup" });
  let deleted = 0;
  try {
    for (const prefix of prefixes) {
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
        cursor = next;
        if (keys.length) deleted += await redis.unlink(...keys);
      } while (cursor !== "0");
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
