import pg from "pg";
import type { TaskLookup, WarehouseClient } from "../sdk/types";
import type { Db } from "../store/db";
import { datasetPartitionWritten, taskStateForLogicalDate } from "../store/sensorTries";

/** `ctx.lookup`: read-only task-state and dataset-event reads on the Runnel database. */
export function createTaskLookup(db: Db): TaskLookup {
  return {
    taskState: (dagId, taskId, logicalDate) => taskStateForLogicalDate(db, dagId, taskId, logicalDate),
    datasetPartitionWritten: (dataset, partition) => datasetPartitionWritten(db, dataset, partition),
  };
}

/** Where named connections come from: env `RUNNEL_CONN_<NAME>`. */
export function connectionUrl(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = `RUNNEL_CONN_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
  const url = env[key];
  if (!url) throw new Error(`connection "${name}" is not configured: set ${key} to a postgres:// URL`);
  return url;
}

/**
 * `ctx.connection(name)`: a client on the Postgres at `RUNNEL_CONN_<NAME>`. Each query opens and
 * closes its own connection: sensors query once per poke, and nothing is left open to close.
 */
export function namedConnection(name: string, env: NodeJS.ProcessEnv = process.env): WarehouseClient {
  return {
    schema: "public",
    async query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      const client = new pg.Client({ connectionString: connectionUrl(name, env), application_name: `runnel-conn-${name}` });
      await client.connect();
      try {
        return (await client.query<R>(sql, params ? [...params] : undefined)).rows;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}
