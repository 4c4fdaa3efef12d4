import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedRuns } from "../../bench/seedRuns";
import type { GridResponse, RunListResponse } from "../../src/api/contract";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

const BENCH_DAGS = fileURLToPath(new URL("../../bench/benchDags/", import.meta.url));
const RUNS = 2000;

let s: ApiStack;
/** dag_runs ids of bench_wide, newest logical date first (ties by id), as the database orders them. */
let expected: number[];

beforeAll(async () => {
  // No scheduler or worker: the seeded runs must not move while the pages are walked.
  s = await startApiStack("apiscale", { worker: false, scheduler: false, config: { dagsFolder: BENCH_DAGS } });
  const seeded = await seedRuns(s.env.db, "bench_wide", RUNS);
  expect(seeded).toMatchObject({ runs: RUNS, taskInstances: RUNS * 20 });
  expect(seeded.failedRuns).toBeGreaterThan(30);
  const rows = await s.env.db("dag_runs").where({ dag_id: "bench_wide" }).orderBy([{ column: "logical_date", order: "desc" }, { column: "id", order: "desc" }]).select("id");
  expected = rows.map((r: { id: number }) => r.id);
});
afterAll(async () => {
  await s?.close();
});

async function walk<T extends { nextCursor: string | null }>(first: string, items: (page: T) => number[]): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  let path: string | null = first;
  let pages = 0;
  while (path !== null) {
    const res = await s.call("viewer", path);
    expect(res.status, path).toBe(200);
    const page = (await res.json()) as T;
    ids.push(...items(page));
    pages++;
    path = page.nextCursor === null ? null : `${first}${first.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(page.nextCursor)}`;
    expect(pages).toBeLessThan(200);
  }
  return { ids, pages };
}

describe("API pagination over thousands of seeded runs", () => {
  it("walks the grid newest first, every run exactly once, each with a cell per task", async () => {
    const cells: number[] = [];
    const { ids, pages } = await walk<GridResponse>("/api/dags/bench_wide/grid?limit=150", (p) => {
      expect(p.tasks).toHaveLength(20);
      for (const r of p.runs) cells.push(Object.keys(r.cells).length);
      return p.runs.map((r) => r.dagRunId);
    });
    expect(pages).toBe(Math.ceil(RUNS / 150));
    expect(ids).toEqual(expected);
    expect(new Set(cells)).toEqual(new Set([20]));
  });

  it("bounds the grid's default page to 25 runs", async () => {
    const res = await s.call("viewer", "/api/dags/bench_wide/grid");
    const page = (await res.json()) as GridResponse;
    expect(page.runs.map((r) => r.dagRunId)).toEqual(expected.slice(0, 25));
    expect(page.nextCursor).not.toBeNull();
  });

  it("walks the runs list of the DAG newest first, every run exactly once", async () => {
    const { ids, pages } = await walk<RunListResponse>("/api/runs?dagId=bench_wide&limit=300", (p) => p.runs.map((r) => r.dagRunId));
    expect(pages).toBe(Math.ceil(RUNS / 300));
    expect(ids).toEqual(expected);
  });

  it("walks a state filter through small pages: only that state, in order, each once", async () => {
    const failed = await s.env.db("dag_runs").where({ dag_id: "bench_wide", state: "failed" }).select("id");
    const failedIds = new Set(failed.map((r: { id: number }) => r.id));
    const { ids } = await walk<RunListResponse>("/api/runs?dagId=bench_wide&state=failed&limit=7", (p) => {
      expect(p.runs.every((r) => r.state === "failed")).toBe(true);
      return p.runs.map((r) => r.dagRunId);
    });
    expect(ids).toEqual(expected.filter((id) => failedIds.has(id)));
    expect(ids).toHaveLength(failedIds.size);
  });

  it("shows the DAG's ten most recent runs in its detail and in the DAG list", async () => {
    const detail = (await (await s.call("viewer", "/api/dags/bench_wide")).json()) as { recentRuns: { runId: string }[] };
    const list = (await (await s.call("viewer", "/api/dags")).json()) as { dags: { dagId: string; recentRuns: { runId: string }[] }[] };
    const top = await s.env.db("dag_runs").whereIn("id", expected.slice(0, 10)).select("id", "run_id");
    const byId = new Map(top.map((r: { id: number; run_id: string }) => [r.id, r.run_id]));
    const want = expected.slice(0, 10).map((id) => byId.get(id));
    expect(detail.recentRuns.map((r) => r.runId)).toEqual(want);
    expect(list.dags.find((d) => d.dagId === "bench_wide")?.recentRuns.map((r) => r.runId)).toEqual(want);
  });
});
