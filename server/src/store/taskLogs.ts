import type { Knex } from "knex";
import type { Db } from "./db";

/** One captured log line of a try. */
export interface LogLine {
  ts: Date;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  fields?: Record<string, unknown>;
}

/** Appends log lines of one try (batched; a no-op for none). */
export async function insertLogLines(conn: Db | Knex.Transaction, taskInstanceId: number, tryNumber: number, lines: readonly LogLine[]): Promise<void> {
  for (let i = 0; i < lines.length; i += 500) {
    await conn("task_logs").insert(
      lines.slice(i, i + 500).map((l) => ({
        task_instance_id: taskInstanceId,
        try_number: tryNumber,
        ts: l.ts,
        level: l.level,
        message: l.message,
        fields: l.fields ? JSON.stringify(l.fields) : null,
      })),
    );
  }
}

export interface StoredLogLine {
  id: number;
  try_number: number;
  ts: Date;
  level: string;
  message: string;
}

/** Log lines of a task instance (one try, or all), oldest first, after `afterId` for paging and following. */
export async function readLogLines(db: Db, taskInstanceId: number, options: { tryNumber?: number; afterId?: number; limit?: number } = {}): Promise<StoredLogLine[]> {
  const q = db("task_logs").select("id", "try_number", "ts", "level", "message").where("task_instance_id", taskInstanceId);
  if (options.tryNumber !== undefined) q.andWhere("try_number", options.tryNumber);
  if (options.afterId !== undefined) q.andWhere("id", ">", options.afterId);
  return (await q.orderBy("id").limit(options.limit ?? 10_000)) as StoredLogLine[];
}
