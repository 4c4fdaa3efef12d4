import type { Expectation } from "../sdk/checks";
import type { WarehouseClient } from "../sdk/types";
import type { ExpectationStats } from "./checkEvaluation";
import { quoteIdentifier, resolveTableName } from "./warehouse";

/** Where the statistics come from: one partition of one table. */
export interface CheckTarget {
  dataset: string;
  partitionColumn: string;
  partition: string;
}

type Row = Record<string, unknown>;

function num(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/**
 * Gathers the statistics of one expectation with SQL on the warehouse. Identifiers are checked
 * (never quoted through), values are bound. Partition keys are compared as text, so a `date`
 * column matches "2024-03-01"; trailing partitions are those whose key sorts before this one.
 */
export async function gatherStats(wh: WarehouseClient, target: CheckTarget, e: Expectation): Promise<ExpectationStats> {
  const table = resolveTableName(target.dataset, wh.schema).sql;
  const p = quoteIdentifier(target.partitionColumn, "partition column");
  const where = `${p}::text = $1`;
  const one = async (sql: string, params: unknown[] = []): Promise<Row> => (await wh.query(sql, [target.partition, ...params]))[0] ?? {};
  const history = async (expr: string, window: number): Promise<number[]> => {
    const rows = await wh.query(
      `SELECT v FROM (SELECT ${p} AS k, ${expr} AS v FROM ${table} WHERE ${p}::text < $1 GROUP BY ${p}) h WHERE v IS NOT NULL ORDER BY k DESC LIMIT $2`,
      [target.partition, window],
    );
    return rows.map((r) => Number(r.v));
  };
  switch (e.kind) {
    case "rowCount":
      return { kind: e.kind, rows: num((await one(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).n) };
    case "nullRatio": {
      const c = quoteIdentifier(e.column, "column name");
      const r = await one(`SELECT count(*) AS n, count(*) FILTER (WHERE ${c} IS NULL) AS nulls FROM ${table} WHERE ${where}`);
      return { kind: e.kind, rows: num(r.n), nulls: num(r.nulls) };
    }
    case "unique": {
      if (e.columns.length === 0) throw new Error(`${e.kind}: columns must not be empty`);
      const cols = e.columns.map((c) => quoteIdentifier(c, "column name")).join(", ");
      const r = await one(`SELECT coalesce(sum(c - 1), 0) AS d FROM (SELECT count(*) AS c FROM ${table} WHERE ${where} GROUP BY ${cols} HAVING count(*) > 1) g`);
      return { kind: e.kind, duplicates: num(r.d) };
    }
    case "valueRange": {
      const c = quoteIdentifier(e.column, "column name");
      const r = await one(
        `SELECT min(${c})::float8 AS lo, max(${c})::float8 AS hi,
                count(*) FILTER (WHERE ${c} < $2::float8 OR ${c} > $3::float8) AS bad
           FROM ${table} WHERE ${where}`,
        [e.min ?? null, e.max ?? null],
      );
      return { kind: e.kind, violations: num(r.bad), min: numOrNull(r.lo), max: numOrNull(r.hi) };
    }
    case "allowedValues": {
      const c = quoteIdentifier(e.column, "column name");
      const r = await one(
        `SELECT count(*) AS bad, (array_agg(DISTINCT ${c}::text))[1:3] AS examples
           FROM ${table} WHERE ${where} AND ${c} IS NOT NULL AND NOT (${c}::text = ANY($2::text[]))`,
        [e.values.map(String)],
      );
      return { kind: e.kind, violations: num(r.bad), examples: Array.isArray(r.examples) ? r.examples.map(String) : [] };
    }
    case "freshness": {
      const c = quoteIdentifier(e.column, "column name");
      const r = await one(`SELECT max(${c})::timestamptz AS newest FROM ${table} WHERE ${where}`);
      return { kind: e.kind, newest: r.newest instanceof Date ? r.newest : r.newest ? new Date(String(r.newest)) : null };
    }
    case "volumeAnomaly": {
      const rows = num((await one(`SELECT count(*) AS n FROM ${table} WHERE ${where}`)).n);
      return { kind: e.kind, rows, history: await history("count(*)", e.window) };
    }
    case "distributionShift": {
      const c = quoteIdentifier(e.column, "column name");
      const mean = numOrNull((await one(`SELECT avg(${c})::float8 AS m FROM ${table} WHERE ${where}`)).m);
      return { kind: e.kind, mean, history: await history(`avg(${c})::float8`, e.window) };
    }
  }
}
