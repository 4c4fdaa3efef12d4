import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagDetail, GridResponse, LogPage, RunDetail, RunListResponse, TaskInstanceDetail } from "../../src/api/contract";
import { insertLogLines } from "../../src/store/taskLogs";
import { trigger, waitForRunEnd } from "../helpers/engine";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

let s: ApiStack;
let flakyRun: number;
beforeAll(async () => {
  s = await startApiStack("apires");
  flakyRun = await trigger(s.engine.rt, "flaky", {}, new Date("2024-01-01T00:00:00Z"));
  for (const d of ["2024-01-02", "2024-01-03"]) await trigger(s.engine.rt, "limited", {}, new Date(`${d}T00:00:00Z`));
  expect(await waitForRunEnd(s.env.db, flakyRun)).toBe("success");
});
afterAll(async () => {
  await s?.close();
});

const get = async <T>(path: string): Promise<T> => {
  const res = await s.call("viewer", path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

describe("API resources", () => {
  it("lists DAGs with tags and recent runs, and the import errors", async () => {
    const body = await get<{ dags: { dagId: string; tags: string[]; recentRuns: { state: string }[] }[] }>("/api/dags");
    expect(body.dags.map((d) => d.dagId)).toEqual(expect.arrayContaining(["flaky", "failing", "gated"]));
    expect(body.dags.find((d) => d.dagId === "flaky")?.recentRuns[0]?.state).toBe("success");
    expect(Array.isArray(body.dags[0]!.tags)).toBe(true);
    expect(await get("/api/import-errors")).toEqual({ importErrors: [] });
  });

  it("shows a DAG with its graph, params schema, source and versions; 404 for an unknown one", async () => {
    const dag = await get<DagDetail>("/api/dags/gated");
    expect(dag.graph.nodes.map((n) => n.taskId)).toEqual(["first", "gate", "last"]);
    expect(dag.graph.edges).toEqual([{ from: "first", to: "gate" }, { from: "gate", to: "last" }]);
    expect(JSON.stringify(dag.paramsSchema)).toContain("scratch");
    expect(dag.source).toContain('id: "gated"');
    expect(dag.versions[0]!.versionId).toBe(dag.versionId);
    const missing = await s.call("viewer", "/api/dags/nope");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("pages runs newest first with an opaque cursor, and filters them", async () => {
    const first = await get<RunListResponse>("/api/runs?limit=2");
    expect(first.runs.map((r) => r.logicalDate)).toEqual(["2024-01-03T00:00:00.000Z", "2024-01-02T00:00:00.000Z"]);
    const second = await get<RunListResponse>(`/api/runs?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(second.runs.map((r) => r.dagRunId)).toEqual([flakyRun]);
    expect(second.nextCursor).toBeNull();
    expect((await get<RunListResponse>("/api/runs?dagId=flaky&state=success&runType=manual")).runs.map((r) => r.dagRunId)).toEqual([flakyRun]);
    expect((await get<RunListResponse>("/api/runs?from=2024-01-02&to=2024-01-02")).runs).toHaveLength(1);
    const bad = await s.call("viewer", "/api/runs?state=bogus&limit=0");
    expect(bad.status).toBe(400);
    const msg = ((await bad.json()) as { error: { message: string } }).error.message;
    expect(msg).toContain("state");
    expect(msg).toContain("limit");
  });

  it("shows a run with its task instances, and a task instance with attempts and output", async () => {
    const run = await get<RunDetail>(`/api/runs/${flakyRun}`);
    expect(run.state).toBe("success");
    expect(run.taskInstances.map((t) => [t.taskId, t.state, t.tryNumber])).toEqual([
      ["flaky", "success", 4],
      ["after", "success", 1],
    ]);
    const ti = await get<TaskInstanceDetail>(`/api/task-instances/${run.taskInstances[0]!.id}`);
    expect(ti.output).toEqual({ succeededOn: 4 });
    expect(ti.attempts.map((a) => a.state)).toEqual(["failed", "failed", "failed", "success"]);
    expect(ti.attempts[0]!.error).toContain("boom on try 1");
    expect((await s.call("viewer", "/api/runs/999999")).status).toBe(404);
    expect((await s.call("viewer", "/api/task-instances/abc")).status).toBe(400);
  });

  it("serves the grid newest run first, paginated, with a cell per task", async () => {
    const page = await get<GridResponse>("/api/dags/limited/grid?limit=1");
    expect(page.tasks.map((t) => t.taskId)).toEqual(["t0", "t1", "t2", "t3", "t4", "t5"]);
    expect(page.runs).toHaveLength(1);
    expect(page.runs[0]!.logicalDate).toBe("2024-01-03T00:00:00.000Z");
    expect(Object.keys(page.runs[0]!.cells).sort()).toEqual(["t0", "t1", "t2", "t3", "t4", "t5"]);
    const next = await get<GridResponse>(`/api/dags/limited/grid?limit=1&cursor=${encodeURIComponent(page.nextCursor!)}`);
    expect(next.runs[0]!.logicalDate).toBe("2024-01-02T00:00:00.000Z");
    expect(next.nextCursor).toBeNull();
  });

  it("pages log lines by afterId", async () => {
    const ti = (await get<RunDetail>(`/api/runs/${flakyRun}`)).taskInstances[1]!;
    const lines = ["one", "two", "three"].map((message) => ({ ts: new Date(), level: "info" as const, message }));
    await insertLogLines(s.env.db, ti.id, 1, lines);
    const p1 = await get<LogPage>(`/api/task-instances/${ti.id}/logs?try=1&limit=2`);
    expect(p1.lines.map((l) => l.message)).toEqual(["one", "two"]);
    expect(p1.hasMore).toBe(true);
    const p2 = await get<LogPage>(`/api/task-instances/${ti.id}/logs?try=1&limit=2&afterId=${p1.lastId}`);
    expect(p2.lines.map((l) => l.message)).toEqual(["three"]);
    expect(p2.hasMore).toBe(false);
  });

  it("returns a <script> payload in params, output and logs verbatim as JSON text", async () => {
    const xss = "<script>alert('x')</script>";
    const res = await s.call("operator", "/api/dags/flaky/trigger", { body: { conf: { note: xss } } });
    expect(res.status).toBe(201);
    const { dagRunId } = (await res.json()) as { dagRunId: number };
    // Cancel first, so the engine cannot overwrite the output and logs written below.
    await s.call("operator", `/api/runs/${dagRunId}/cancel`, { body: {} });
    const raw = await (await s.call("viewer", `/api/runs/${dagRunId}`)).text();
    expect(raw).toContain(JSON.stringify(xss).slice(1, -1));
    expect(((JSON.parse(raw) as RunDetail).conf as { note: string }).note).toBe(xss);
    const ti = (JSON.parse(raw) as RunDetail).taskInstances[0]!;
    await s.env.db("task_instances").where({ id: ti.id }).update({ output: JSON.stringify({ html: xss }) });
    await insertLogLines(s.env.db, ti.id, 1, [{ ts: new Date(), level: "info", message: xss }]);
    const detail = await s.call("viewer", `/api/task-instances/${ti.id}`);
    expect(detail.headers.get("content-type")).toContain("application/json");
    expect(((await detail.json()) as TaskInstanceDetail).output).toEqual({ html: xss });
    expect((await get<LogPage>(`/api/task-instances/${ti.id}/logs`)).lines.map((l) => l.message)).toContain(xss);
  });
});
