import pg from "pg";
import { Redis } from "ioredis";
import { TEST_ADMIN_URL, TEST_REDIS_URL } from "./testDb";

/** Fails fast, with the fix, when the test services are not answering. */
export default async function setup(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_ADMIN_URL });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(`Tests need PostgreSQL at ${TEST_ADMIN_URL} (set TEST_DATABASE_URL): ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Tests need Redis at ${TEST_REDIS_URL} (set TEST_REDIS_URL): ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
