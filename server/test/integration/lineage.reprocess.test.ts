import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listReadsOfTaskInstance } from "../../src/store/datasetReads";
import { downstreamOfPartition } from "../../src/store/downstreamImpact";
import { listDatasetEvents } from "../../src/store/lineage";
import { upstreamOfPartition } from "../../src/store/partitionUpstream";
import { findDatasetId, type PartitionKey } from "../../src/store/partitionWrites";
import { reprocessPartition } from "../../src/store/reprocessPartition";
import { DEFER_TO_SCHEDULER, type QueuedTask } from "../../src/store/taskInstances";
import { createEngineEnv, startEngine, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";
import { DAY1, LINEAGE_DAGS, runLineageChain, tiIds, type ChainRuns } from "../helpers/lineageChain";

let env: EngineEnv;
let engine: Engine;
let runs: ChainRuns;
let ids: Record<"a1" | "b1" | "c1" | "a2" | "b2", Record<string, number>>;

const A_X = "warehouse.lin_a_x";
const B_Y = "warehouse.lin_b_y";
const C_Z = "warehouse.lin_c_z";
const EXTERNAL = "file:///lineage/external/source.csv";
const pid = (uri: string) => `${uri}|${DAY1}`;

async function key(uri: string, partition = DAY1): Promise<PartitionKey> {
  const datasetId = await findDatasetId(env.db, uri);
  if (datasetId === undefined) throw new Error(`no dataset ${uri}`);
  return { datasetId, uri, partition };
}

async function eventOf(uri: string): Promise<{ id: number; taskInstanceId: number | null; tryNumber: number | null }> {
  const [e] = await listDatasetEvents(env.db, uri, { partition: DAY1, limit: 1 });
  if (!e) throw new Error(`no event of ${uri}`);
  return e;
}

/** Task instance id -> [state, try number, end date] of every task instance of the chain. */
async function snapshot(): Promise<Map<number, [string, number, string | null]>> {
  const rows = await env.db("task_instances").select<Array<{ id: number; state: string; try_number: number; end_date: Date | null }>>("id", "state", "try_number", "end_date");
  return new Map(rows.map((r) => [r.id, [r.state, r.try_number, r.end_date?.toISOString() ?? null]]));
}

beforeAll(async () => {
  env = await createEngineEnv("lineage", { dagsFolder: LINEAGE_DAGS });
  engine = await startEngine(env.config);
  runs = await runLineageChain(engine.rt, env.db);
  ids = { a1: await tiIds(env.db, runs.a1), b1: await tiIds(env.db, runs.b1), c1: await tiIds(env.db, runs.c1), a2: await tiIds(env.db, runs.a2), b2: await tiIds(env.db, runs.b2) };
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

/** The four task instances a.x's DAY1 partition impacts: readers and their in-run downstream, across B and C. */
const expectedImpact = () => [
  { id: ids.b1.transform!, dagRunId: runs.b1, dagId: "lineage_b", taskId: "transform", reason: "reads" },
  { id: ids.b1.report_b!, dagRunId: runs.b1, dagId: "lineage_b", taskId: "report_b", reason: "downstream" },
  { id: ids.c1.load_z!, dagRunId: runs.c1, dagId: "lineage_c", taskId: "load_z", reason: "reads" },
  { id: ids.c1.publish_c!, dagRunId: runs.c1, dagId: "lineage_c", taskId: "publish_c", reason: "downstream" },
];

describe("recorded reads of the chain", () => {
  it("attribute each read to its task instance and try, pointing at the write it saw", async () => {
    const ax = await eventOf(A_X);
    expect(ax.taskInstanceId).toBe(ids.a1.write_x);
    expect((await listReadsOfTaskInstance(env.db, ids.b1.transform!)).map((r) => [r.uri, r.partition, r.eventId, r.tryNumber, r.dagRunId])).toEqual([[A_X, DAY1, ax.id, 1, runs.b1]]);
    const by = await eventOf(B_Y);
    expect(by.taskInstanceId).toBe(ids.b1.transform);
    // load_z read b.y in both tries (the first failed after reading); its write belongs to try 2.
    expect((await listReadsOfTaskInstance(env.db, ids.c1.load_z!)).map((r) => [r.uri, r.partition, r.eventId, r.tryNumber])).toEqual([
      [B_Y, DAY1, by.id, 1],
      [B_Y, DAY1, by.id, 2],
    ]);
    expect(await eventOf(C_Z)).toMatchObject({ taskInstanceId: ids.c1.load_z, tryNumber: 2 });
    expect((await listReadsOfTaskInstance(env.db, ids.a1.write_x!)).map((r) => [r.uri, r.eventId])).toEqual([[EXTERNAL, null]]);
    // An empty partition read is still recorded (B on DAY2 read a.x's DAY2 partition, written by a2).
    expect((await listReadsOfTaskInstance(env.db, ids.b2.transform!)).map((r) => r.partition)).toEqual(["2024-01-02"]);
  });
});

describe("partition lineage across three DAGs", () => {
  it("upstream of c.z: b.y via load_z, a.x via transform, the external source via write_x", async () => {
    const up = await upstreamOfPartition(env.db, await key(C_Z));
    expect(up.root).toBe(pid(C_Z));
    expect(up.truncated).toBe(false);
    expect(up.partitions.map((p) => p.id).sort()).toEqual([pid(C_Z), pid(B_Y), pid(A_X), pid(EXTERNAL)].sort());
    const node = (uri: string) => up.partitions.find((p) => p.uri === uri)!;
    expect(node(A_X).lastWrite?.eventId).toBe((await eventOf(A_X)).id);
    expect(node(EXTERNAL).lastWrite).toBeNull();
    expect(up.edges.map((e) => [e.from, e.to, e.via.dagId, e.via.taskId, e.via.dagRunId, e.via.tryNumber])).toEqual([
      [pid(B_Y), pid(C_Z), "lineage_c", "load_z", runs.c1, 2],
      [pid(A_X), pid(B_Y), "lineage_b", "transform", runs.b1, 1],
      [pid(EXTERNAL), pid(A_X), "lineage_a", "write_x", runs.a1, 1],
    ]);
  });

  it("downstream of a.x: readers in B and C, their in-run downstream, the partitions they wrote, and nothing else", async () => {
    const down = await downstreamOfPartition(env.db, await key(A_X));
    expect(down.truncated).toBe(false);
    expect(down.tasks.map(({ id, dagRunId, dagId, taskId, reason }) => ({ id, dagRunId, dagId, taskId, reason }))).toEqual(expectedImpact());
    expect(down.tasks.every((t) => t.state === "success")).toBe(true);
    expect(down.runs.map((r) => [r.dagRunId, r.dagId, r.state])).toEqual([
      [runs.b1, "lineage_b", "success"],
      [runs.c1, "lineage_c", "success"],
    ]);
    expect(down.partitions.map((p) => p.id)).toEqual([pid(A_X), pid(B_Y), pid(C_Z)]);
    expect(down.edges.map((e) => [e.from, e.to, e.via.taskId])).toEqual([
      [pid(A_X), pid(B_Y), "transform"],
      [pid(B_Y), pid(C_Z), "load_z"],
    ]);
    // From the middle of the chain, B's tasks are no longer impacted.
    expect((await downstreamOfPartition(env.db, await key(B_Y))).tasks.map((t) => t.taskId)).toEqual(["load_z", "publish_c"]);
    // The end of the chain has no dependents.
    expect((await downstreamOfPartition(env.db, await key(C_Z))).tasks).toEqual([]);
  });
});

const pick = ({ id, dagRunId, dagId, taskId, reason }: { id: number; dagRunId: number; dagId: string; taskId: string; reason: string }) => ({ id, dagRunId, dagId, taskId, reason });

/** The new try of a task instance: when it started and ended. */
async function latestAttempt(id: number): Promise<{ try_number: number; start_date: Date; end_date: Date | null }> {
  return env.db("task_attempts").where({ task_instance_id: id }).orderBy("try_number", "desc").first("try_number", "start_date", "end_date");
}

describe("reprocess", () => {
  it("dry run lists exactly the impact in waves and changes nothing; the real one clears B now, C once B has rewritten b.y, and all rerun to success", async () => {
    const before = await snapshot();
    const pushed: QueuedTask[] = [];
    const dry = await reprocessPartition(env.db, await key(A_X), { dryRun: true, requestedBy: "test" }, { queueReady: () => true, dispatch: async (r) => void pushed.push(...r.queued) });
    // B reads a.x: first wave. C reads b.y, which B writes: it waits for B.
    expect(dry.cleared.map(pick)).toEqual(expectedImpact().filter((t) => t.dagId === "lineage_b"));
    expect(dry.waiting.map(pick)).toEqual(expectedImpact().filter((t) => t.dagId === "lineage_c"));
    expect(dry.skipped).toEqual([]);
    expect(dry.reprocessId).toBeNull();
    expect(pushed).toEqual([]);
    expect(await snapshot()).toEqual(before);

    const done = await reprocessPartition(env.db, await key(A_X), { dryRun: false, requestedBy: "test" }, engine.rt.dispatch);
    expect(done.cleared.map((t) => t.id)).toEqual([ids.b1.transform, ids.b1.report_b]);
    expect(done.waiting.map((t) => t.id)).toEqual([ids.c1.load_z, ids.c1.publish_c]);
    expect(done.cleared.every((t) => t.state === "success")).toBe(true);
    expect(done.reprocessId).not.toBeNull();
    const ended = await waitFor("the reprocess to end", async () => {
      const row = await env.db("reprocesses").where({ id: done.reprocessId! }).first<{ state: string } | undefined>("state");
      return row && row.state !== "running" ? row.state : undefined;
    }, 60_000);
    expect(ended).toBe("completed");
    expect(await waitForRunEnd(env.db, runs.b1)).toBe("success");
    expect(await waitForRunEnd(env.db, runs.c1)).toBe("success");
    // C recomputed from the rewritten b.y: its new try started after B's transform had finished its own.
    const transform = await latestAttempt(ids.b1.transform!);
    const loadZ = await latestAttempt(ids.c1.load_z!);
    expect(loadZ.start_date.getTime()).toBeGreaterThanOrEqual(transform.end_date!.getTime());

    const after = await snapshot();
    const impacted = new Set(expectedImpact().map((t) => t.id));
    for (const [id, [state, tryNumber, endDate]] of before) {
      const now = after.get(id)!;
      if (impacted.has(id)) {
        expect(now[0], `task instance ${id}`).toBe("success");
        expect(now[1], `task instance ${id} reran`).toBe(tryNumber + 1);
      } else {
        expect(now, `task instance ${id} untouched`).toEqual([state, tryNumber, endDate]);
      }
    }
    // The rerun of transform recorded its read again, in its new try.
    expect((await listReadsOfTaskInstance(env.db, ids.b1.transform!)).map((r) => r.tryNumber)).toEqual([1, 2]);
    expect((await eventOf(B_Y)).tryNumber).toBe(2);
  });

  it("reports impacted task instances that are still running as skipped and leaves them alone", async () => {
    await engine.close();
    await env.db("task_instances").where({ id: ids.b1.report_b }).update({ state: "running" });
    const dry = await reprocessPartition(env.db, await key(A_X), { dryRun: true, requestedBy: "test" }, DEFER_TO_SCHEDULER);
    expect(dry.skipped.map((t) => [t.id, t.state])).toEqual([[ids.b1.report_b, "running"]]);
    expect(dry.cleared.map((t) => t.id)).toEqual([ids.b1.transform]);
    const real = await reprocessPartition(env.db, await key(A_X), { dryRun: false, requestedBy: "test" }, DEFER_TO_SCHEDULER);
    expect(real.skipped.map((t) => t.id)).toEqual([ids.b1.report_b]);
    expect((await env.db("task_instances").where({ id: ids.b1.report_b }).first()).state).toBe("running");
  });
});
