import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTaskIo, type TaskIo, type TaskIoInstance } from "../../src/executor/taskIo";
import { createWarehouse, type Warehouse } from "../../src/executor/warehouse";
import type { TaskLogger } from "../../src/sdk/types";
import { listDeadLetters } from "../../src/store/deadLetters";
import { listDatasetEvents } from "../../src/store/lineage";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let tdb: TestDatabase;
let warehouse: Warehouse;
let tmp: string;
const lines: string[] = [];
const log: TaskLogger = {
  info: (m) => lines.push(`info ${m}`),
  warn: (m) => lines.push(`warn ${m}`),
  error: (m) => lines.push(`error ${m}`),
  debug: (m) => lines.push(`debug ${m}`),
};

/** The minimal dags -> dag_versions -> dag_runs -> task_instances chain the FK columns point at. */
async function insertTaskInstance(taskId: string, partition: string): Promise<TaskIoInstance> {
  const db = tdb.db;
  await db("dags").insert({ dag_id: "io_dag", fileloc: "dags/io_dag.ts" }).onConflict("dag_id").ignore();
  const [version] = await db("dag_versions")
    .insert({ dag_id: "io_dag", version_hash: `v-${taskId}`, graph: JSON.stringify({}), source: "", fileloc: "dags/io_dag.ts" })
    .returning<Array<{ id: number }>>("id");
  const logical = new Date(`${partition}T00:00:00Z`);
  const [run] = await db("dag_runs")
    .insert({
      dag_id: "io_dag",
      run_id: `manual__${taskId}`,
      run_type: "manual",
      state: "running",
      logical_date: logical,
      data_interval_start: logical,
      data_interval_end: new Date(logical.getTime() + 86_400_000),
      dag_version_id: version!.id,
    })
    .returning<Array<{ id: number }>>("id");
  const [ti] = await db("task_instances")
    .insert({ dag_run_id: run!.id, dag_id: "io_dag", task_id: taskId, state: "running", try_number: 1 })
    .returning<Array<{ id: number }>>("id");
  return { taskInstanceId: ti!.id, dagRunId: run!.id, dagId: "io_dag", taskId, tryNumber: 1, partition };
}

async function io(taskId: string, partition = "2024-01-02"): Promise<{ io: TaskIo; ti: TaskIoInstance }> {
  const ti = await insertTaskInstance(taskId, partition);
  return { io: createTaskIo({ db: tdb.db, warehouse, ti, log }), ti };
}

function orders(ds: string, n: number, salt = 0): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ order_id: `${ds}-${i}`, customer_id: `c${(i * 7 + salt) % 5}`, amount: (i + 1) * 10.5 }));
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (i * 31 + seed * 17) % (i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

async function partitionRows(ds: string): Promise<unknown[]> {
  const rows = await warehouse.client.query(
    "SELECT ds::text AS ds, order_id, customer_id, amount::text AS amount FROM warehouse.orders WHERE ds = $1 ORDER BY order_id",
    [ds],
  );
  return rows;
}

beforeAll(async () => {
  tdb = await createTestDatabase("partition");
  warehouse = createWarehouse(tdb.url, "warehouse");
  await warehouse.ensureSchema();
  await warehouse.ensureSchema(); // idempotent
  // loaded_at and id are set by the database: they must not make two identical writes differ.
  await warehouse.client.query(`CREATE TABLE warehouse.orders (
    id bigserial PRIMARY KEY, ds date NOT NULL, order_id text NOT NULL, customer_id text,
    amount numeric(12,2), note text DEFAULT 'none', loaded_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  tmp = await mkdtemp(join(tmpdir(), "runnel-files-"));
});

afterAll(async () => {
  await warehouse?.close();
  await tdb?.drop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe("partitions.overwrite", () => {
  it("leaves the same partition, count and checksum however often it runs, and leaves other partitions alone", async () => {
    const other = await io("write_other", "2024-01-01");
    expect(await other.io.partitions.overwrite("orders", orders("2024-01-01", 4), { partitionColumn: "ds" })).toBe(4);
    const otherBefore = await partitionRows("2024-01-01");

    const { io: taskIo, ti } = await io("write_orders");
    const rows = orders("2024-01-02", 25);
    const counts: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      // A different row order each time: the checksum must not depend on it. The ds given in the rows is overwritten.
      const input = shuffled(rows, attempt).map((r) => ({ ...r, ds: "1999-12-31" }));
      counts.push(await taskIo.partitions.overwrite(attempt === 1 ? "warehouse.orders" : "orders", input, { partitionColumn: "ds" }));
    }
    expect(counts).toEqual([25, 25, 25]);
    expect(await partitionRows("2024-01-02")).toHaveLength(25);
    expect(await partitionRows("2024-01-01")).toEqual(otherBefore);
    expect(await partitionRows("1999-12-31")).toHaveLength(0);

    const events = await listDatasetEvents(tdb.db, "warehouse.orders", { partition: "2024-01-02" });
    expect(events).toHaveLength(3);
    for (const e of events) {
      expect(e).toMatchObject({ rowCount: 25, taskInstanceId: ti.taskInstanceId, dagRunId: ti.dagRunId, tryNumber: 1 });
      expect(e.checksum).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(new Set(events.map((e) => e.checksum)).size).toBe(1);
    expect(await listDatasetEvents(tdb.db, "warehouse.orders", { partition: "2024-01-01" })).toHaveLength(1);
    expect(lines).toContain("info overwrote partition 2024-01-02 of warehouse.orders: 25 rows");

    // Different content gives a different checksum; an empty write empties the partition.
    await taskIo.partitions.overwrite("orders", orders("2024-01-02", 25, 1), { partitionColumn: "ds" });
    expect(await taskIo.partitions.overwrite("orders", [], { partitionColumn: "ds" })).toBe(0);
    const [empty, changed] = await listDatasetEvents(tdb.db, "warehouse.orders", { partition: "2024-01-02", limit: 2 });
    expect(changed!.checksum).not.toBe(events[0]!.checksum);
    expect(empty).toMatchObject({ rowCount: 0 });
    expect(await partitionRows("2024-01-02")).toHaveLength(0);
  });

  it("writes an explicit partition, uses column defaults for missing keys, and serializes concurrent writers", async () => {
    const { io: taskIo } = await io("write_explicit");
    const rows = [{ order_id: "a", amount: 1 }, { order_id: "b", customer_id: "c1", note: "given" }];
    await taskIo.partitions.overwrite("orders", rows, { partitionColumn: "ds", partition: "2024-02-01" });
    const stored = await warehouse.client.query("SELECT order_id, customer_id, note FROM warehouse.orders WHERE ds = '2024-02-01' ORDER BY order_id");
    expect(stored).toEqual([
      { order_id: "a", customer_id: null, note: "none" },
      { order_id: "b", customer_id: "c1", note: "given" },
    ]);

    const big = orders("2024-02-02", 300);
    const results = await Promise.all([1, 2, 3, 4].map(() => taskIo.partitions.overwrite("orders", big, { partitionColumn: "ds", partition: "2024-02-02" })));
    expect(results).toEqual([300, 300, 300, 300]);
    expect(await partitionRows("2024-02-02")).toHaveLength(300);
  });

  it("rejects identifiers that are not plain names before touching the table", async () => {
    const { io: taskIo } = await io("write_injection", "2024-01-01");
    const before = await partitionRows("2024-01-01");
    const row = [{ order_id: "x" }];
    await expect(taskIo.partitions.overwrite('orders"; DROP TABLE warehouse.orders; --', row, { partitionColumn: "ds" })).rejects.toThrow(/invalid (schema|table) name/);
    await expect(taskIo.partitions.overwrite("a.b.c", row, { partitionColumn: "ds" })).rejects.toThrow(/invalid table name/);
    await expect(taskIo.partitions.overwrite("pg_catalog.pg class", row, { partitionColumn: "ds" })).rejects.toThrow(/invalid table name/);
    await expect(taskIo.partitions.overwrite("orders", row, { partitionColumn: "ds = ds OR 1=1 --" })).rejects.toThrow(/invalid partition column/);
    await expect(taskIo.partitions.overwrite("orders", [{ 'order_id") VALUES (1); --': 1 }], { partitionColumn: "ds" })).rejects.toThrow(/invalid column name/);
    await expect(taskIo.partitions.overwrite("missing_table", row, { partitionColumn: "ds" })).rejects.toThrow(/missing_table/);
    expect(await partitionRows("2024-01-01")).toEqual(before);
    expect(() => createWarehouse(tdb.url, "x; drop")).toThrow(/invalid warehouse schema/);
  });
});

describe("files.overwrite", () => {
  it("replaces a file atomically, creates folders, leaves no temp file and records an event", async () => {
    const { io: taskIo, ti } = await io("write_file");
    const path = join(tmp, "out", "nested", "report.csv");
    await taskIo.files.overwrite(path, "id,amount\n1,10\n", { rowCount: 1 });
    await taskIo.files.overwrite(path, new TextEncoder().encode("id,amount\n1,10\n2,20\n"), { rowCount: 2, partition: "p1" });
    expect(await readFile(path, "utf8")).toBe("id,amount\n1,10\n2,20\n");
    expect(await readdir(join(tmp, "out", "nested"))).toEqual(["report.csv"]);

    const events = await listDatasetEvents(tdb.db, `file://${path}`);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      partition: "p1",
      rowCount: 2,
      taskInstanceId: ti.taskInstanceId,
      checksum: createHash("sha256").update("id,amount\n1,10\n2,20\n").digest("hex"),
    });
    expect(events[1]).toMatchObject({ partition: "2024-01-02", rowCount: 1 });
  });
});

describe("validate and dead letters", () => {
  const Order = z.object({ order_id: z.string(), amount: z.number().positive(), currency: z.string().default("EUR") });
  const records = [
    { order_id: "o1", amount: 10 },
    { order_id: "o2", amount: -5 },
    { order_id: "o3", amount: "N/A" },
    { order_id: "o4", amount: 7, currency: "USD" },
    null,
  ];
  const key = (r: unknown) => (r as { order_id: string }).order_id;

  it("returns the parsed valid records and stores each invalid one with payload, error and issues, once", async () => {
    const { io: taskIo, ti } = await io("validate_orders");
    const valid = await taskIo.validate(records, Order, { key });
    expect(valid).toEqual([
      { order_id: "o1", amount: 10, currency: "EUR" },
      { order_id: "o4", amount: 7, currency: "USD" },
    ]);
    let letters = await listDeadLetters(tdb.db, { dagId: "io_dag", taskId: "validate_orders" });
    expect(letters).toHaveLength(3);
    const byKey = new Map(letters.map((l) => [l.recordKey, l]));
    expect(byKey.get("o2")).toMatchObject({
      kind: "record",
      status: "open",
      payload: { order_id: "o2", amount: -5 },
      taskInstanceId: ti.taskInstanceId,
      dagRunId: ti.dagRunId,
      partition: "2024-01-02",
      attempts: 1,
    });
    expect(byKey.get("o2")!.error).toMatch(/^amount: /);
    expect(byKey.get("o3")!.issues).toEqual([expect.objectContaining({ code: "invalid_type", path: ["amount"] })]);
    expect(byKey.get(null)).toMatchObject({ payload: null, error: expect.stringMatching(/^\(record\): /) });

    // A retry validates the same records again: the open dead letters are updated, not duplicated.
    await taskIo.validate(records, Order, { key });
    letters = await listDeadLetters(tdb.db, { dagId: "io_dag", taskId: "validate_orders" });
    expect(letters.map((l) => l.attempts)).toEqual([2, 2, 2]);
  });

  it("fails the quality gate only after storing the dead letters", async () => {
    const { io: taskIo } = await io("validate_gate");
    await expect(taskIo.validate(records, Order, { key, maxInvalidRatio: 0.1 })).rejects.toThrow(
      "quality gate: 3 of 5 records invalid (0.6 > 0.1)",
    );
    const letters = await listDeadLetters(tdb.db, { taskId: "validate_gate", status: "open", kind: "record" });
    expect(letters.map((l) => l.recordKey).sort()).toEqual(["o2", "o3", null].sort());
    // A ratio at the limit passes.
    await expect(taskIo.validate(records, Order, { key, maxInvalidRatio: 0.6 })).resolves.toHaveLength(2);
  });

  it("stores hand-made record dead letters", async () => {
    const { io: taskIo } = await io("manual_letters");
    await taskIo.deadLetter({ id: 1, text: "bad\u0000byte", big: 1n }, new Error("unparseable"), { key: "r1" });
    const [record] = await listDeadLetters(tdb.db, { taskId: "manual_letters", kind: "record" });
    expect(record).toMatchObject({ recordKey: "r1", error: "unparseable", payload: { id: 1, text: "bad\uFFFDbyte", big: "1" }, issues: null });

  });
});
