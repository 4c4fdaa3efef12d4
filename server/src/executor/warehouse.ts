import pg from "pg";
import type { WarehouseClient } from "../sdk/types";

/** A plain SQL identifier. Anything else is refused rather than quoted, so a table name can never smuggle SQL. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Postgres allows 65535 bind parameters per statement; stay well under it. */
const MAX_PARAMS_PER_INSERT = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

/** What `overwritePartition` wrote. */
export interface PartitionWriteResult {
  /** Rows in the partition after the write (= rows given). */
  rowCount: number;
  /** Order-independent md5 of the partition's rows (projected on the written columns) after the write. */
  checksum: string;
  /** The dataset name, `<schema>.<table>`, used as the lineage URI. */
  dataset: string;
}

/** Arguments of `overwritePartition`. */
export interface OverwritePartitionArgs {
  /** "schema.table", or "table" in the warehouse schema. The table must exist. */
  table: string;
  rows: readonly Record<string, unknown>[];
  /** The column that holds the partition key; set to `partition` on every row written. */
  partitionColumn: string;
  partition: string;
}

/** The warehouse Postgres that tasks read and write through their context. */
export interface Warehouse {
  /** Handed to tasks as `ctx.warehouse`. */
  readonly client: WarehouseClient;
  /** Creates the warehouse schema when it does not exist; safe to call concurrently. */
  ensureSchema(): Promise<void>;
  /**
   * Replaces one partition of a table in ONE transaction (delete the partition, insert the rows), so
   * running it twice leaves the same data. Concurrent writers of the same partition are serialized
   * with an advisory lock. Throws (and changes nothing) on a bad identifier or any SQL error.
   */
  overwritePartition(args: OverwritePartitionArgs): Promise<PartitionWriteResult>;
  /** Closes the pool. */
  close(): Promise<void>;
}

/** Throws a clear error unless `name` is a plain identifier; returns it double-quoted. */
export function quoteIdentifier(name: string, what = "identifier"): string {
  if (typeof name !== "string" || !IDENTIFIER.test(name)) {
    throw new Error(`invalid ${what} ${JSON.stringify(name)}: use a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)`);
  }
  return `"${name}"`;
}

/** Splits "schema.table" / "table" and checks both parts. */
export function resolveTableName(table: string, defaultSchema: string): { schema: string; table: string; sql: string; dataset: string } {
  const parts = typeof table === "string" ? table.split(".") : [];
  if (parts.length < 1 || parts.length > 2) throw new Error(`invalid table name ${JSON.stringify(table)}: use "table" or "schema.table"`);
  const [schema, name] = parts.length === 2 ? [parts[0]!, parts[1]!] : [defaultSchema, parts[0]!];
  const sql = `${quoteIdentifier(schema, "schema name")}.${quoteIdentifier(name, "table name")}`;
  return { schema, table: name, sql, dataset: `${schema}.${name}` };
}

/** Opens a pool on the warehouse Postgres; `schema` holds the tables named without a schema. */
export function createWarehouse(url: string, schema: string): Warehouse {
  const quotedSchema = quoteIdentifier(schema, "warehouse schema");
  const pool = new pg.Pool({ connectionString: url, application_name: "runnel-warehouse", max: 10 });
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on("error", () => undefined);

  const client: WarehouseClient = {
    schema,
    async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const result = (await pool.query(sql, params ? [...params] : undefined)) as pg.QueryResult<R> | pg.QueryResult<R>[];
      // Several statements without parameters come back as one result each; the last one is the answer.
      if (Array.isArray(result)) return result.at(-1)?.rows ?? [];
      return result.rows;
    },
  };

  return {
    client,
    async ensureSchema() {
      try {
        await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
      } catch (err) {
        // Two processes creating it at once: the loser sees a unique violation, and the schema exists.
        const code = (err as { code?: string }).code;
        if (code !== "23505" && code !== "42P06") throw err;
      }
    },
    async overwritePartition(args) {
      const target = resolveTableName(args.table, schema);
      const pgClient = await pool.connect();
      try {
        return await overwriteInTransaction(pgClient, target, args);
      } catch (err) {
        throw new Error(`overwrite of partition ${args.partition} of ${target.dataset} failed: ${(err as Error).message}`, { cause: err });
      } finally {
        pgClient.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function overwriteInTransaction(
  client: pg.PoolClient,
  target: { sql: string; dataset: string },
  args: OverwritePartitionArgs,
): Promise<PartitionWriteResult> {
  if (typeof args.partition !== "string" || args.partition === "") throw new Error("partition must be a non-empty string");
  const partitionColumn = quoteIdentifier(args.partitionColumn, "partition column");
  const columns = columnsOf(args.rows, args.partitionColumn);
  await client.query("BEGIN");
  try {
    // Two tries of the same task may overlap (a zombie and its retry); without this lock both
    // could delete before either inserts, leaving the partition doubled.
    await client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`runnel.partition:${target.dataset}:${args.partition}`]);
    await client.query(`DELETE FROM ${target.sql} WHERE ${partitionColumn} = $1`, [args.partition]);
    for (const sql of insertStatements(target.sql, columns, args)) await client.query(sql.text, sql.values);
    const check = await client.query<{ n: number | string; checksum: string }>(checksumSql(target.sql, columns, partitionColumn), [args.partition]);
    await client.query("COMMIT");
    const row = check.rows[0];
    return { rowCount: Number(row?.n ?? 0), checksum: row?.checksum ?? "", dataset: target.dataset };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** The union of the rows' keys plus the partition column, sorted so statements and checksums are stable. */
function columnsOf(rows: readonly Record<string, unknown>[], partitionColumn: string): string[] {
  const names = new Set<string>([partitionColumn]);
  for (const row of rows) {
    if (typeof row !== "object" || row === null || Array.isArray(row)) throw new Error("every row must be a plain object");
    for (const key of Object.keys(row)) names.add(key);
  }
  const sorted = [...names].sort();
  for (const name of sorted) quoteIdentifier(name, "column name");
  return sorted;
}

/** Multi-row INSERTs in batches. A key missing from a row inserts the column's DEFAULT, not NULL. */
function insertStatements(
  tableSql: string,
  columns: readonly string[],
  args: OverwritePartitionArgs,
): Array<{ text: string; values: unknown[] }> {
  const batchSize = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMS_PER_INSERT / columns.length)));
  const head = `INSERT INTO ${tableSql} (${columns.map((c) => `"${c}"`).join(", ")}) VALUES `;
  const statements: Array<{ text: string; values: unknown[] }> = [];
  for (let start = 0; start < args.rows.length; start += batchSize) {
    const values: unknown[] = [];
    const tuples = args.rows.slice(start, start + batchSize).map((row) => {
      const cells = columns.map((column) => {
        const value = column === args.partitionColumn ? args.partition : row[column];
        if (value === undefined && !Object.hasOwn(row, column) && column !== args.partitionColumn) return "DEFAULT";
        values.push(toParam(value));
        return `$${values.length}`;
      });
      return `(${cells.join(", ")})`;
    });
    statements.push({ text: head + tuples.join(", "), values });
  }
  return statements;
}

/** node-postgres sends JS arrays as Postgres arrays; plain objects go as JSON (for json/jsonb columns). */
function toParam(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "object" && value !== null && !(value instanceof Date) && !Array.isArray(value) && !Buffer.isBuffer(value)) {
    return JSON.stringify(value);
  }
  return value;
}

/**
 * Row count and an order-independent content checksum of the partition. Rows are projected on
 * the written columns so that columns the writer does not set (a serial id, a `loaded_at
 * default now()`) do not make two identical writes look different.
 */
function checksumSql(tableSql: string, columns: readonly string[], partitionColumn: string): string {
  const projection = columns.map((c) => `"${c}"`).join(", ");
  return `SELECT count(*)::bigint AS n, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS checksum
    FROM (SELECT md5(row_to_json(p)::text) AS h FROM (SELECT ${projection} FROM ${tableSql} WHERE ${partitionColumn} = $1) p) hashed`;
}
