import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, migrateLatest, type Db } from "../../src/store/db";

/** The server integration tests use: TEST_DATABASE_URL, else the local trust-auth Postgres. */
export const TEST_ADMIN_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A fresh, migrated database for one test file. */
export async function createTestDatabase(label = "t"): Promise<TestDatabase> {
  const name = `runnel_${label.replace(/[^a-z0-9_]/gi, "").toLowerCase().slice(0, 20)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: TEST_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = withDatabase(TEST_ADMIN_URL, name);
  const db = createDb(url, { applicationName: `runnel-test-${label}` });
  await migrateLatest(db);
  return {
    url,
    name,
    db,
    async drop() {
      await db.destroy();
      const c = new pg.Client({ connectionString: TEST_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A BullMQ key prefix no other test shares. */
export function testQueuePrefix(label = "t"): string {
  return `rtest:${label}:${randomBytes(4).toString("hex")}`;
}
