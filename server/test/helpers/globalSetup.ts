import pg from "pg";
import { Redis } from "ioredis";
import { buildDist } from "../../bin/buildDist.mjs";
import { TEST_ADMIN_URL, TEST_REDIS_URL } from "./testDb";

/**
 * Fails fast, with the fix, when the test services are not answering. Brings server/dist up to
 * date first (nothing to do when it is), so tests that spawn `runnel` run the compiled CLI users
 * run; when the source does not compile, `runnel` runs the source (and the tests that load the
 * broken module fail, as they would without the build).
 */
export default async function setup(): Promise<void> {
  await buildDist().catch((err: unknown) => console.warn(`server/dist not built (runnel runs the TypeScript source): ${(err as Error).message}`));
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
