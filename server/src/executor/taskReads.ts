import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { FileDatasetOptions, FileReader, PartitionReadOptions, PartitionReader, TaskLogger, WarehouseClient } from "../sdk/types";
import type { TaskHistory } from "./taskHistory";
import { quoteIdentifier, resolveTableName } from "./warehouse";

/** What `createTaskReads` needs: where to read, and where the reads are recorded. */
export interface TaskReadsDeps {
  warehouse: WarehouseClient;
  /** Records each read as an input of the try (dataset_reads), or nothing for `tasks test`. */
  history: Pick<TaskHistory, "recordReads">;
  /** The run's partition: the default of a single-partition read and of file reads. */
  partition: string;
  log: TaskLogger;
}

/** Name of the helper column carrying each row's partition; stripped before rows are returned. */
const PARTITION_INDEX = "__runnel_partition";

/**
 * The dataset URI of a name given to `markRead`: URIs with a scheme are kept (file:// paths made
 * absolute, as `ctx.files` records them); table names resolve like `ctx.partitions.overwrite`'s.
 */
export function readDatasetUri(dataset: string, warehouseSchema: string): string {
  if (typeof dataset !== "string" || dataset === "") throw new Error("markRead: dataset must be a non-empty string");
  if (dataset.startsWith("file://")) return `file://${resolve(dataset.slice("file://".length))}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dataset)) return dataset;
  return resolveTableName(dataset, warehouseSchema).dataset;
}

/** The statement of a partition read and how to tell, per row, which partition it belongs to. */
interface PartitionQuery {
  sql: string;
  params: string[];
  /** Maps the helper column's value to the partition to record. */
  partitionOf: (value: unknown) => string | null;
  /** Partitions recorded even without rows (a single requested partition). */
  always: string[];
}

function partitionQuery(tableSql: string, options: PartitionReadOptions, defaultPartition: string): PartitionQuery {
  const col = `t.${quoteIdentifier(options.partitionColumn, "partition column")}`;
  const text = (v: unknown, what: string): string => {
    if (typeof v !== "string" || v === "") throw new Error(`partitions.read: ${what} must be a non-empty string`);
    return v;
  };
  const select = (extra: string, where: string) => `SELECT t.*, ${extra} AS "${PARTITION_INDEX}" FROM ${tableSql} t WHERE ${where}`;
  if (options.partitions !== undefined) {
    const list = [...new Set(options.partitions.map((p) => text(p, "every partition")))];
    const placeholders = list.map((_, i) => `$${i + 1}`);
    // CASE maps each row back to the partition string asked for (compared in the column's type).
    const index = `CASE ${col} ${placeholders.map((ph, i) => `WHEN ${ph} THEN ${i}`).join(" ")} END`;
    return { sql: select(index, `${col} IN (${placeholders.join(", ")})`), params: list, partitionOf: (v) => list[Number(v)] ?? null, always: [] };
  }
  if (options.from !== undefined || options.to !== undefined) {
    const params: string[] = [];
    const bounds: string[] = [];
    if (options.from !== undefined) bounds.push(`${col} >= $${params.push(text(options.from, "from"))}`);
    if (options.to !== undefined) bounds.push(`${col} <= $${params.push(text(options.to, "to"))}`);
    return { sql: select(`${col}::text`, bounds.join(" AND ")), params, partitionOf: (v) => (typeof v === "string" ? v : null), always: [] };
  }
  const one = text(options.partition ?? defaultPartition, "partition");
  return { sql: select("0", `${col} = $1`), params: [one], partitionOf: () => one, always: [one] };
}

/** The read half of a task's I/O: every read is recorded as an input of the try (dataset_reads). */
export function createTaskReads(deps: TaskReadsDeps): { partitions: PartitionReader; files: FileReader } {
  const { warehouse, history, log } = deps;

  async function read<R extends Record<string, unknown> = Record<string, unknown>>(table: string, options: PartitionReadOptions): Promise<R[]> {
    const target = resolveTableName(table, warehouse.schema);
    if (options.partitions !== undefined && options.partitions.length === 0) return [];
    const q = partitionQuery(target.sql, options, deps.partition);
    const raw = await warehouse.query(q.sql, q.params);
    const present = new Set(q.always);
    const rows = raw.map((row) => {
      const { [PARTITION_INDEX]: index, ...rest } = row;
      const p = q.partitionOf(index);
      if (p !== null) present.add(p);
      return rest as R;
    });
    await history.recordReads(target.dataset, [...present]);
    log.info(`read ${rows.length} rows of ${target.dataset} (${present.size} partitions)`);
    return rows;
  }

  function readFileDataset(path: string, options?: FileDatasetOptions): Promise<Buffer>;
  function readFileDataset(path: string, options: FileDatasetOptions & { encoding: BufferEncoding }): Promise<string>;
  async function readFileDataset(path: string, options?: FileDatasetOptions & { encoding?: BufferEncoding }): Promise<Buffer | string> {
    const absolute = resolve(path);
    const content = await readFile(absolute);
    const partition = options?.partition ?? deps.partition;
    const dataset = options?.dataset ?? `file://${absolute}`;
    await history.recordReads(dataset, [partition]);
    log.info(`read ${absolute}: ${content.byteLength} bytes`, { dataset, partition });
    return options?.encoding ? content.toString(options.encoding) : content;
  }

  return {
    partitions: {
      read,
      async markRead(dataset, partitions) {
        const uri = readDatasetUri(dataset, warehouse.schema);
        const recorded = await history.recordReads(uri, partitions);
        if (partitions.length > 0) log.info(`marked ${partitions.length} partitions of ${uri} as read`, { new: recorded });
      },
    },
    files: { read: readFileDataset },
  };
}
