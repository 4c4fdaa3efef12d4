import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DatasetDetailResponseSchema,
  DatasetListResponseSchema,
  LineageGraphResponseSchema,
  PartitionDetailResponseSchema,
  ReprocessDetailResponseSchema,
  ReprocessResponseSchema,
  type ApiErrorBody,
} from "../../src/api/contract";
import { startApiStack, type ApiStack } from "../helpers/apiServer";
import { waitFor, waitForRunEnd } from "../helpers/engine";
import { DAY1, LINEAGE_DAGS, runLineageChain, tiIds, type ChainRuns } from "../helpers/lineageChain";

let s: ApiStack;
let runs: ChainRuns;

const A_X = "warehouse.lin_a_x";
const B_Y = "warehouse.lin_b_y";
const C_Z = "warehouse.lin_c_z";
const q = (params: Record<string, string>) => new URLSearchParams(params).toString();

beforeAll(async () => {
  s = await startApiStack("apilineage", { config: { dagsFolder: LINEAGE_DAGS } });
  runs = await runLineageChain(s.engine.rt, s.env.db);
  // A check result on b.y, stored as a check task would (by its bare table name), for the trend.
  await s.env.db("check_results").insert({
    dag_run_id: runs.b1,
    task_instance_id: (await tiIds(s.env.db, runs.b1)).transform,
    dag_id: "lineage_b",
    task_id: "transform",
    try_number: 1,
    partition: DAY1,
    dataset: "lin_b_y",
    severity: "warn",
    expectation: "rowCount",
    kind: "rowCount",
    passed: true,
    observed: "1 rows",
    threshold: ">= 1",
  });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

async function getOk(path: string): Promise<unknown> {
  const res = await s.call("viewer", path);
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
  return res.json();
}

async function expectError(res: Response, status: number, code: string, message?: RegExp): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as ApiErrorBody;
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
}

describe("lineage API", () => {
  it("GET /api/lineage/graph: declared and observed edges across DAGs; dagId narrows it", async () => {
    const g = LineageGraphResponseSchema.parse(await getOk("/api/lineage/graph"));
    const edge = (from: string, to: string) => g.edges.find((e) => e.from === from && e.to === to);
    expect(edge("task:lineage_a.write_x", `dataset:${A_X}`)).toEqual({ from: "task:lineage_a.write_x", to: `dataset:${A_X}`, declared: true, observed: true });
    expect(edge(`dataset:${A_X}`, "task:lineage_b.transform")).toMatchObject({ declared: true, observed: true });
    // side_a declares nothing: its write is observed only.
    expect(edge("task:lineage_a.side_a", "dataset:warehouse.lin_a_side")).toMatchObject({ declared: false, observed: true });
    expect(edge("dataset:file:///lineage/external/source.csv", "task:lineage_a.write_x")).toMatchObject({ declared: false, observed: true });
    const ax = g.nodes.find((n) => n.id === `dataset:${A_X}`);
    expect(ax).toMatchObject({ kind: "dataset", partitionCount: 2 });
    expect(g.nodes.some((n) => n.kind === "task" && n.dagId === "lineage_c" && n.taskId === "load_z")).toBe(true);

    const onlyC = LineageGraphResponseSchema.parse(await getOk(`/api/lineage/graph?${q({ dagId: "lineage_c" })}`));
    expect(onlyC.nodes.filter((n) => n.kind === "dataset").map((n) => n.id).sort()).toEqual([`dataset:${B_Y}`, `dataset:${C_Z}`]);
    // The other tasks touching those datasets stay (B's transform writes b.y).
    expect(onlyC.nodes.filter((n) => n.kind === "task").map((n) => n.id).sort()).toEqual(["task:lineage_b.transform", "task:lineage_c.load_z"]);
    await expectError(await s.call("viewer", `/api/lineage/graph?${q({ dagId: "" })}`), 400, "invalid_request", /dagId/);
  });

  it("GET /api/lineage/datasets: every dataset with producers, consumers and its last write", async () => {
    const list = DatasetListResponseSchema.parse(await getOk("/api/lineage/datasets"));
    expect(list.datasets.map((d) => d.uri)).toEqual(["file:///lineage/external/source.csv", "warehouse.lin_a_side", A_X, B_Y, C_Z]);
    const by = list.datasets.find((d) => d.uri === B_Y)!;
    expect(by).toMatchObject({ partitionCount: 2, producers: [{ dagId: "lineage_b", taskId: "transform" }], consumers: [{ dagId: "lineage_c", taskId: "load_z" }], scheduledDags: [] });
    expect(by.lastWrite).toMatchObject({ partition: "2024-01-02", rowCount: 1, writer: { dagId: "lineage_b", taskId: "transform", dagRunId: runs.b2 } });
  });

  it("GET /api/lineage/dataset: partitions newest first with write counts, and the check trend; 400 and 404", async () => {
    const d = DatasetDetailResponseSchema.parse(await getOk(`/api/lineage/dataset?${q({ uri: B_Y })}`));
    expect(d.partitions.map((p) => [p.partition, p.writes, p.writer?.dagRunId])).toEqual([
      ["2024-01-02", 1, runs.b2],
      [DAY1, 1, runs.b1],
    ]);
    expect(d.checks).toMatchObject([{ dagId: "lineage_b", partition: DAY1, kind: "rowCount", passed: true, severity: "warn" }]);
    await expectError(await s.call("viewer", "/api/lineage/dataset"), 400, "invalid_request", /uri/);
    await expectError(await s.call("viewer", `/api/lineage/dataset?${q({ uri: "warehouse.nope" })}`), 404, "not_found", /warehouse\.nope/);
  });

  it("GET /api/lineage/partition: history, upstream and downstream impact; 400 and 404", async () => {
    const p = PartitionDetailResponseSchema.parse(await getOk(`/api/lineage/partition?${q({ uri: A_X, partition: DAY1 })}`));
    expect(p.history).toHaveLength(1);
    expect(p.history[0]!.writer).toMatchObject({ dagId: "lineage_a", taskId: "write_x", dagRunId: runs.a1, tryNumber: 1 });
    expect(p.upstream.root).toBe(`${A_X}|${DAY1}`);
    expect(p.upstream.partitions.map((n) => n.id).sort()).toEqual([`file:///lineage/external/source.csv|${DAY1}`, `${A_X}|${DAY1}`]);
    expect(p.downstream.tasks.map((t) => `${t.dagId}.${t.taskId}:${t.reason}`)).toEqual([
      "lineage_b.transform:reads",
      "lineage_b.report_b:downstream",
      "lineage_c.load_z:reads",
      "lineage_c.publish_c:downstream",
    ]);
    expect(p.downstream.runs.map((r) => r.dagRunId)).toEqual([runs.b1, runs.c1]);

    // A partition that was read but never written is known (its upstream is itself alone).
    const external = PartitionDetailResponseSchema.parse(await getOk(`/api/lineage/partition?${q({ uri: "file:///lineage/external/source.csv", partition: DAY1 })}`));
    expect(external.history).toEqual([]);
    expect(external.downstream.tasks.map((t) => t.taskId)).toEqual(["write_x", "transform", "report_b", "load_z", "publish_c"]);

    await expectError(await s.call("viewer", `/api/lineage/partition?${q({ uri: A_X })}`), 400, "invalid_request", /partition/);
    await expectError(await s.call("viewer", `/api/lineage/partition?${q({ uri: A_X, partition: "1999-01-01" })}`), 404, "not_found", /1999-01-01/);
    await expectError(await s.call("viewer", `/api/lineage/partition?${q({ uri: "warehouse.nope", partition: DAY1 })}`), 404, "not_found", /warehouse\.nope/);
  });

  it("POST /api/lineage/reprocess: operator only; dry run lists, the real one clears exactly those (audited) and they rerun", async () => {
    const body = { uri: B_Y, partition: DAY1 };
    expect((await s.call("viewer", "/api/lineage/reprocess", { body: { ...body, dryRun: true } })).status).toBe(403);
    expect((await s.call(null, "/api/lineage/reprocess", { body })).status).toBe(401);
    await expectError(await s.call("operator", "/api/lineage/reprocess", { body: { uri: B_Y } }), 400, "invalid_request", /partition/);
    await expectError(await s.call("operator", "/api/lineage/reprocess", { body: { uri: B_Y, partition: "1999-01-01" } }), 404, "not_found");

    const dryRes = await s.call("operator", "/api/lineage/reprocess", { body: { ...body, dryRun: true } });
    expect(dryRes.status).toBe(200);
    const dry = ReprocessResponseSchema.parse(await dryRes.json());
    const c1 = await tiIds(s.env.db, runs.c1);
    expect(dry).toMatchObject({ dryRun: true, skipped: [] });
    expect(dry.cleared.map((t) => [t.id, t.reason])).toEqual([
      [c1.load_z, "reads"],
      [c1.publish_c, "downstream"],
    ]);
    const triesBefore = await s.env.db("task_instances").whereIn("id", [c1.load_z!, c1.publish_c!]).orderBy("id").pluck("try_number");

    const realRes = await s.call("operator", "/api/lineage/reprocess", { body });
    expect(realRes.status).toBe(200);
    const real = ReprocessResponseSchema.parse(await realRes.json());
    expect(real.dryRun).toBe(false);
    expect(real.cleared.map((t) => t.id)).toEqual(dry.cleared.map((t) => t.id));
    expect(await waitForRunEnd(s.env.db, runs.c1)).toBe("success");
    const triesAfter = await s.env.db("task_instances").whereIn("id", [c1.load_z!, c1.publish_c!]).orderBy("id").pluck("try_number");
    expect(triesAfter).toEqual(triesBefore.map((n: number) => n + 1));
    // B's run was not touched: b.y still has its one write.
    expect((await s.env.db("task_instances").where({ dag_run_id: runs.b1 }).pluck("try_number")).every((n: number) => n === 1)).toBe(true);

    const audit = await s.env.db("audit_log").where({ action: "lineage.reprocess" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "operator", target: `partition:${B_Y}|${DAY1}` });
  });

  it("GET /api/lineage/reprocesses/:id: a reprocess across DAGs runs in waves and ends completed", async () => {
    const res = await s.call("operator", "/api/lineage/reprocess", { body: { uri: A_X, partition: DAY1 } });
    expect(res.status).toBe(200);
    const started = ReprocessResponseSchema.parse(await res.json());
    expect(started.cleared.map((t) => t.dagId)).toEqual(["lineage_b", "lineage_b"]);
    expect(started.waiting.map((t) => t.dagId)).toEqual(["lineage_c", "lineage_c"]);
    expect(started.reprocessId).not.toBeNull();
    const path = `/api/lineage/reprocesses/${started.reprocessId}`;
    const done = await waitFor("the reprocess to complete", async () => {
      const detail = ReprocessDetailResponseSchema.parse(await getOk(path));
      return detail.state === "running" ? undefined : detail;
    }, 60_000);
    expect(done).toMatchObject({ uri: A_X, partition: DAY1, requestedBy: "operator", state: "completed", message: null });
    expect(done.runs.map((r) => [r.dagRunId, r.wave, r.state, r.releasedAt !== null])).toEqual([
      [runs.b1, 0, "success", true],
      [runs.c1, 1, "success", true],
    ]);
    await expectError(await s.call("viewer", "/api/lineage/reprocesses/999999"), 404, "not_found");
  });

  it("is described in the OpenAPI document with its roles", async () => {
    const doc = (await getOk("/api/openapi.json")) as { paths: Record<string, Record<string, { "x-runnel-role": string }>> };
    expect(doc.paths["/api/lineage/partition"]?.get?.["x-runnel-role"]).toBe("viewer");
    expect(doc.paths["/api/lineage/reprocess"]?.post?.["x-runnel-role"]).toBe("operator");
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/api/lineage/")).sort()).toEqual([
      "/api/lineage/dataset",
      "/api/lineage/datasets",
      "/api/lineage/graph",
      "/api/lineage/partition",
      "/api/lineage/reprocess",
      "/api/lineage/reprocesses/{id}",
    ]);
  });
});
