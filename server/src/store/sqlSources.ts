import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type pg from "pg";
import type { Db } from "./db";

/**
 * The PL/pgSQL functions and triggers, as source files in `sql/`, in the order they are applied
 * (a trigger after its function). Each file is idempotent: `CREATE OR REPLACE FUNCTION`,
 * `CREATE OR REPLACE TRIGGER`, and for a constraint trigger (which cannot be replaced)
 * `DROP TRIGGER IF EXISTS` then `CREATE CONSTRAINT TRIGGER`. A function no longer wanted is
 * dropped by a migration; removing its file alone leaves it in place.
 */
export const SQL_SOURCES = ["runLock.sql", "faninCounters.sql", "finishTries.sql", "runTouch.sql", "deadLetterTriggers.sql", "alertTriggers.sql"] as const;

export const SQL_SOURCES_DIR = new URL("./sql/", import.meta.url);

/** Advisory lock key pair held while applying ("RSQL", 0): concurrent migrates apply one at a time. */
const APPLY_LOCK: readonly [number, number] = [0x5253514c, 0];

/**
 * What the sources produce in the catalog: every `runnel_*` function and every user trigger of the
 * schema, as Postgres prints them back. A hand edit of either changes this hash.
 */
const CATALOG_MD5_SQL = `
  SELECT md5(coalesce(string_agg(def, E'\\n' ORDER BY def), '')) AS md5 FROM (
    SELECT pg_get_functiondef(p.oid) AS def FROM pg_proc p
     WHERE p.pronamespace = current_schema()::regnamespace AND p.proname LIKE 'runnel\\_%' AND p.prokind IN ('f', 'p')
    UNION ALL
    SELECT pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal) d`;

interface KnexPoolClient {
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(conn: pg.Client): Promise<void>;
}

/** The source files' text, in application order. */
export async function readSqlSources(): Promise<Array<{ name: string; text: string }>> {
  return Promise.all(SQL_SOURCES.map(async (name) => ({ name, text: await readFile(new URL(name, SQL_SOURCES_DIR), "utf8") })));
}

/**
 * Applies the sources in one transaction under an advisory lock, unless the last application was
 * of these same files and left the catalog as it still is (then nothing is re-created: re-creating
 * a constraint trigger takes an exclusive lock on its table). Returns the files applied.
 * Runs after the migrations, which must therefore never need a function defined here.
 * `sources` defaults to the files (a test passes edited ones).
 */
export async function applySqlSources(db: Db, sources?: ReadonlyArray<{ name: string; text: string }>): Promise<string[]> {
  sources ??= await readSqlSources();
  const hash = createHash("sha256");
  for (const s of sources) hash.update(`${s.name}\n${s.text}\n`);
  const sourcesSha = hash.digest("hex");
  const pool = db.client as unknown as KnexPoolClient;
  const client = await pool.acquireConnection();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [...APPLY_LOCK]);
      const last = await client.query<{ sources_sha256: string; catalog_md5: string }>("SELECT sources_sha256, catalog_md5 FROM sql_sources_applied");
      const catalog = (await client.query<{ md5: string }>(CATALOG_MD5_SQL)).rows[0]!.md5;
      if (last.rows[0]?.sources_sha256 === sourcesSha && last.rows[0].catalog_md5 === catalog) {
        await client.query("COMMIT");
        return [];
      }
      // Simple-protocol queries (no parameters): a file may hold several statements.
      for (const s of sources) await client.query(s.text);
      const after = (await client.query<{ md5: string }>(CATALOG_MD5_SQL)).rows[0]!.md5;
      await client.query(
        `INSERT INTO sql_sources_applied (id, sources_sha256, catalog_md5, applied_at) VALUES (true, $1, $2, now())
         ON CONFLICT (id) DO UPDATE SET sources_sha256 = EXCLUDED.sources_sha256, catalog_md5 = EXCLUDED.catalog_md5, applied_at = EXCLUDED.applied_at`,
        [sourcesSha, after],
      );
      await client.query("COMMIT");
      return sources.map((s) => `sql/${s.name}`);
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
  } finally {
    await pool.releaseConnection(client);
  }
}
