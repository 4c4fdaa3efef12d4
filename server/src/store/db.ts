import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import knexFactory, { type Knex } from "knex";
import pg from "pg";
import { applySqlSources } from "./sqlSources";

/** The knex handle every store module takes. */
export type Db = Knex;

// Postgres bigint (int8) ids fit easily in a JS number for any realistic install; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

function noJit(conn: pg.Client, done: (err: Error | null, conn: pg.Client) => void): void {
  conn.query("SET jit = off").then(
    () => done(null, conn),
    (err: Error) => done(err, conn),
  );
}

/** Opens a pool on `url`. */
export function createDb(url: string, options: { poolMax?: number; applicationName?: string } = {}): Db {
  return knexFactory({
    client: "pg",
    connection: { connectionString: url, application_name: options.applicationName ?? "runnel" },
    // No JIT: Runnel's statements are short, and with statistics from before a burst the planner's
    // inflated costs made Postgres JIT-compile them, 0.2-1.5 s per call (finalizeRuns at 500k
    // unanalyzed task instances: 1.5 s with JIT, 8 ms without).
    pool: { min: 0, max: options.poolMax ?? 10, afterCreate: noJit },
    acquireConnectionTimeout: 30_000,
  });
}

export const MIGRATIONS_DIR = fileURLToPath(new URL("../../../migrations/", import.meta.url));

type ImportTs = (specifier: string, parentURL: string) => Promise<unknown>;
let migrationLoader: Promise<ImportTs> | undefined;

/**
 * Imports a TypeScript migration through tsx, registered (in a namespace of its own) the first
 * time a migration is pending: the compiled server (server/dist) has no TypeScript loader otherwise.
 */
function importMigration(path: string): Promise<unknown> {
  migrationLoader ??= import("tsx/esm/api").then(({ register }) => register({ namespace: "runnel-migrations" }).import as ImportTs);
  return migrationLoader.then((load) => load(pathToFileURL(path).href, import.meta.url));
}

/** Loads the numbered TypeScript migrations in migrations/ (through tsx, see importMigration). */
class FolderMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    const files = await readdir(MIGRATIONS_DIR);
    return files.filter((f) => /^\d{4}_[\w-]+\.ts$/.test(f)).sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    return (await importMigration(`${MIGRATIONS_DIR}${name}`)) as Knex.Migration;
  }
}

/**
 * Applies every pending migration, then the PL/pgSQL sources of store/sql/ when they or the
 * functions they define changed (store/sqlSources.ts); returns what it applied. Safe to call from
 * several processes at once (knex takes a lock for the migrations, an advisory lock guards the sources).
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new FolderMigrationSource(), tableName: "knex_migrations" })) as [number, string[]];
  return [...applied, ...(await applySqlSources(db))];
}

/** Creates the database named in `url` when it does not exist (connects to the `postgres` database to do so). */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ""));
  if (!name) throw new Error(`DATABASE_URL ${url} names no database`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } catch (err) {
      // Another process created it first.
      if ((err as { code?: string }).code !== "42P04") throw err;
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}
