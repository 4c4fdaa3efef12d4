import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTaskIo, type TaskIo, type TaskIoInstance } from "../../src/executor/taskIo";
import { createWarehouse, type Warehouse } from "../../src/executor/warehouse";
import type { TaskLogger } from "../../src/sdk/types";
import { listReadsOfTaskInstance } from "../../src/store/datasetReads";
import { listDatasetEvents } from "../../src/store/lineage";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let tdb: TestDatabase;
let warehouse: Warehouse;
let tmp: string;
const log: TaskLogger = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined };

let tiSeq = 0;
/** A dags -> dag_versions -> dag_runs -> task_instances chain for the reads' foreign keys. */
async function newTaskInstance(partition = "2024-01-02"): Promise<TaskIoInstance> {
  const db = tdb.db;
  const taskId = `t${++tiSeq}`;
  await db("dags").insert({ dag_id: "reads_dag", fileloc: "dags/reads_dag.ts" }).onConflict("dag_id").ignore();
  const [version] = await db("dag_versions").insert({ dag_id: "reads_dag", version_hash: `v-${taskId}`, graph: JSON.stringify({}), source: "", fileloc: "x" }).returning<Array<{ id: number }>>("id");
  const logical = new Date(`${partition}T00:00:00Z`);
  const [run] = await db("dag_runs")
    .insert({ dag_id: "reads_dag", run_id: `manual__${taskId}`, run_type: "manual", state: "running", logical_date: logical, data_interval_start: logical, data_interval_end: logical, dag_version_id: version!.id })
    .returning<Array<{ id: number }>>("id");
  const [ti] = await db("task_instances").insert({ dag_run_id: run!.id, dag_id: "reads_dag", task_id: taskId, state: "running", try_number: 1 }).returning<Array<{ id: number }>>("id");
  return { taskInstanceId: ti!.id, dagRunId: run!.id, dagId: "reads_dag", taskId, tryNumber: 1, partition };
}

const ioFor = (ti: TaskIoInstance): TaskIo => createTaskIo({ db: tdb.db, warehouse, ti, log });

async function latestEventId(uri: string, partition: string): Promise<number> {
  const [e] = await listDatasetEvents(tdb.db, uri, { partition, limit: 1 });
  if (!e) throw new Error(`no event for ${uri} ${partition}`);
  return e.id;
}

const readsOf = async (ti: TaskIoInstance) => (await listReadsOfTaskInstance(tdb.db, ti.taskInstanceId)).map((r) => ({ uri: r.uri, partition: r.partition, eventId: r.eventId, tryNumber: r.tryNumber, dagRunId: r.dagRunId }));

beforeAll(async () => {
  tdb = await createTestDatabase("reads");
  warehouse = createWarehouse(tdb.url, "warehouse");
  await warehouse.ensureSchema();
  // A date-typed partition column: reads must record "2024-01-01", not a Date's string.
  await warehouse.client.query("CREATE TABLE warehouse.sales (ds date NOT NULL, sku text NOT NULL, qty integer NOT NULL)");
  tmp = await mkdtemp(join(tmpdir(), "runnel-reads-"));
  const writer = ioFor(await newTaskInstance());
  for (const [ds, n] of [["2024-01-01", 2], ["2024-01-02", 3], ["2024-01-03", 1]] as const) {
    await writer.partitions.overwrite("sales", Array.from({ length: n }, (_, i) => ({ sku: `s${i}`, qty: i + 1 })), { partitionColumn: "ds", partition: ds });
  }
});

afterAll(async () => {
  await warehouse?.close();
  await tdb?.drop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("ctx.partitions.read", () => {
  it("returns the run's partition's rows and records one read pointing at the partition's latest write", async () => {
    const ti = await newTaskInstance("2024-01-02");
    const rows = await ioFor(ti).partitions.read<{ sku: string; qty: number }>("sales", { partitionColumn: "ds" });
    expect(rows.map((r) => r.sku).sort()).toEqual(["s0", "s1", "s2"]);
    expect(Object.keys(rows[0]!).sort()).toEqual(["ds", "qty", "sku"]);
    expect(await readsOf(ti)).toEqual([{ uri: "warehouse.sales", partition: "2024-01-02", eventId: await latestEventId("warehouse.sales", "2024-01-02"), tryNumber: 1, dagRunId: ti.dagRunId }]);
  });

  it("records a single requested partition without rows, with no event", async () => {
    const ti = await newTaskInstance();
    expect(await ioFor(ti).partitions.read("warehouse.sales", { partitionColumn: "ds", partition: "2023-12-31" })).toEqual([]);
    expect(await readsOf(ti)).toEqual([{ uri: "warehouse.sales", partition: "2023-12-31", eventId: null, tryNumber: 1, dagRunId: ti.dagRunId }]);
  });

  it("with a list, records only the partitions present in the result, as the strings asked for", async () => {
    const ti = await newTaskInstance();
    const rows = await ioFor(ti).partitions.read("sales", { partitionColumn: "ds", partitions: ["2024-01-03", "2023-06-01", "2024-01-01"] });
    expect(rows).toHaveLength(3);
    const reads = await readsOf(ti);
    expect(reads.map((r) => r.partition).sort()).toEqual(["2024-01-01", "2024-01-03"]);
    for (const r of reads) expect(r.eventId).toBe(await latestEventId("warehouse.sales", r.partition));
    expect(await ioFor(await newTaskInstance()).partitions.read("sales", { partitionColumn: "ds", partitions: [] })).toEqual([]);
  });

  it("with a range (inclusive bounds, compared as dates), records each partition present", async () => {
    const ti = await newTaskInstance();
    const rows = await ioFor(ti).partitions.read("sales", { partitionColumn: "ds", from: "2024-01-02", to: "2024-01-03" });
    expect(rows).toHaveLength(4);
    expect((await readsOf(ti)).map((r) => r.partition).sort()).toEqual(["2024-01-02", "2024-01-03"]);
    const open = await newTaskInstance();
    await ioFor(open).partitions.read("sales", { partitionColumn: "ds", to: "2024-01-01" });
    expect((await readsOf(open)).map((r) => r.partition)).toEqual(["2024-01-01"]);
  });

  it("records a partition once per try, a new try separately, and keeps the event seen at read time", async () => {
    const ti = await newTaskInstance("2024-01-01");
    const seen = await latestEventId("warehouse.sales", "2024-01-01");
    await ioFor(ti).partitions.read("sales", { partitionColumn: "ds" });
    await ioFor(ti).partitions.read("sales", { partitionColumn: "ds" });
    // A later write of the partition does not rewrite what this try saw.
    await ioFor(await newTaskInstance()).partitions.overwrite("sales", [{ sku: "z", qty: 9 }], { partitionColumn: "ds", partition: "2024-01-01" });
    const rewritten = await latestEventId("warehouse.sales", "2024-01-01");
    expect(rewritten).toBeGreaterThan(seen);
    await ioFor({ ...ti, tryNumber: 2 }).partitions.read("sales", { partitionColumn: "ds" });
    expect((await readsOf(ti)).map((r) => [r.tryNumber, r.eventId])).toEqual([
      [1, seen],
      [2, rewritten],
    ]);
  });

  it("refuses identifiers that are not plain, recording nothing", async () => {
    const ti = await newTaskInstance();
    await expect(ioFor(ti).partitions.read("sales; DROP TABLE warehouse.sales", { partitionColumn: "ds" })).rejects.toThrow(/invalid (schema|table) name/);
    await expect(ioFor(ti).partitions.read("sales", { partitionColumn: "ds OR true" })).rejects.toThrow(/invalid partition column/);
    expect(await readsOf(ti)).toEqual([]);
  });
});

describe("ctx.partitions.markRead", () => {
  it("records reads of tables (schema defaulted), file URIs (made absolute) and other URIs as given", async () => {
    const ti = await newTaskInstance();
    const io = ioFor(ti);
    await io.partitions.markRead("sales", ["2024-01-02", "2024-01-02", "1999-01-01"]);
    await io.partitions.markRead("file://landing/in.csv", ["p"]);
    await io.partitions.markRead("s3://bucket/key", ["p"]);
    await io.partitions.markRead("sales", []);
    expect(await readsOf(ti)).toEqual([
      { uri: "warehouse.sales", partition: "2024-01-02", eventId: await latestEventId("warehouse.sales", "2024-01-02"), tryNumber: 1, dagRunId: ti.dagRunId },
      { uri: "warehouse.sales", partition: "1999-01-01", eventId: null, tryNumber: 1, dagRunId: ti.dagRunId },
      { uri: `file://${resolve("landing/in.csv")}`, partition: "p", eventId: null, tryNumber: 1, dagRunId: ti.dagRunId },
      { uri: "s3://bucket/key", partition: "p", eventId: null, tryNumber: 1, dagRunId: ti.dagRunId },
    ]);
  });
});

describe("ctx.files.read", () => {
  it("answers the content and records a read of file://<absolute path> pointing at the file's write", async () => {
    const path = join(tmp, "orders.json");
    const writer = await newTaskInstance("2024-01-05");
    await ioFor(writer).files.overwrite(path, '{"a":1}');
    const ti = await newTaskInstance("2024-01-05");
    const io = ioFor(ti);
    expect(await io.files.read(path, { encoding: "utf8" })).toBe('{"a":1}');
    const buffer = await io.files.read(path, { partition: "other" });
    expect(Buffer.isBuffer(buffer) && buffer.toString("utf8")).toBe('{"a":1}');
    const uri = `file://${path}`;
    expect(await readsOf(ti)).toEqual([
      { uri, partition: "2024-01-05", eventId: await latestEventId(uri, "2024-01-05"), tryNumber: 1, dagRunId: ti.dagRunId },
      { uri, partition: "other", eventId: null, tryNumber: 1, dagRunId: ti.dagRunId },
    ]);
    const missing = await newTaskInstance();
    await expect(ioFor(missing).files.read(join(tmp, "missing.json"))).rejects.toThrow(/ENOENT/);
    expect(await readsOf(missing)).toEqual([]);
  });
});
