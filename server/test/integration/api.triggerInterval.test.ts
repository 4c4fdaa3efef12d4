import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerIntervalResponse, TriggerResponse } from "../../src/api/contract";
import { buildOpenApiDocument } from "../../src/api/openapi";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

// daily_one: @daily (UTC) from 2024-01-01 to 2024-12-31; manual_only: schedule null.
const DAGS = fileURLToPath(new URL("../fixtures/backfill_dags/", import.meta.url));
const DAY_MS = 86_400_000;

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("trigiv", { config: { dagsFolder: DAGS } });
});
afterAll(async () => {
  await s?.close();
});

async function call<T>(role: "viewer" | "operator", path: string, body: unknown, status: number): Promise<T> {
  const res = await s.call(role, path, body === undefined ? {} : { body });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
}

/** The last complete @daily interval (UTC) around `fn`, retried if a midnight passes meanwhile. */
async function aroundToday<T>(fn: () => Promise<T>): Promise<{ value: T; start: string; end: string }> {
  for (;;) {
    const before = Math.floor(Date.now() / DAY_MS);
    const value = await fn();
    if (Math.floor(Date.now() / DAY_MS) !== before) continue;
    return { value, start: new Date((before - 1) * DAY_MS).toISOString(), end: new Date(before * DAY_MS).toISOString() };
  }
}

describe("manual runs without a logical date cover the last complete interval", () => {
  it("POST trigger: [yesterday, today) with logical date yesterday, stored so; twice makes two runs", async () => {
    const { value: [a, b], start, end } = await aroundToday(() =>
      Promise.all([call<TriggerResponse>("operator", "/api/dags/daily_one/trigger", {}, 201), call<TriggerResponse>("operator", "/api/dags/daily_one/trigger", {}, 201)]),
    );
    for (const run of [a, b]) {
      expect(run).toMatchObject({ dagId: "daily_one", logicalDate: start, dataIntervalStart: start, dataIntervalEnd: end, inferred: true });
      expect(run.runId).toMatch(/^manual__/);
      const row = await s.env.db("dag_runs").where({ id: run.dagRunId }).first();
      expect([row.logical_date.toISOString(), row.data_interval_start.toISOString(), row.data_interval_end.toISOString()]).toEqual([start, start, end]);
    }
    expect(a.runId).not.toBe(b.runId);
  });

  it("GET trigger-interval says what a trigger now would cover, and creates nothing", async () => {
    const runsBefore = (await s.env.db("dag_runs").where({ dag_id: "daily_one" })).length;
    const { value, start, end } = await aroundToday(() => call<TriggerIntervalResponse>("viewer", "/api/dags/daily_one/trigger-interval", undefined, 200));
    expect(value).toEqual({ dagId: "daily_one", logicalDate: start, dataIntervalStart: start, dataIntervalEnd: end, inferred: true });
    expect((await s.env.db("dag_runs").where({ dag_id: "daily_one" })).length).toBe(runsBefore);
  });

  it("an explicit logical date keeps today's behaviour: the interval starting there", async () => {
    const expected = { logicalDate: "2024-03-05T00:00:00.000Z", dataIntervalStart: "2024-03-05T00:00:00.000Z", dataIntervalEnd: "2024-03-06T00:00:00.000Z", inferred: false };
    expect(await call<TriggerIntervalResponse>("viewer", "/api/dags/daily_one/trigger-interval?logicalDate=2024-03-05", undefined, 200)).toEqual({ dagId: "daily_one", ...expected });
    const run = await call<TriggerResponse>("operator", "/api/dags/daily_one/trigger", { logicalDate: "2024-03-05" }, 201);
    expect(run).toMatchObject({ ...expected, runId: "manual__2024-03-05T00:00:00.000Z" });
    // not a fire time: the fire times either side
    const mid = await call<TriggerIntervalResponse>("viewer", `/api/dags/daily_one/trigger-interval?logicalDate=${encodeURIComponent("2024-03-05T18:51:00Z")}`, undefined, 200);
    expect(mid).toMatchObject({ logicalDate: "2024-03-05T18:51:00.000Z", dataIntervalStart: "2024-03-05T00:00:00.000Z", dataIntervalEnd: "2024-03-06T00:00:00.000Z" });
  });

  it("a DAG without a schedule: logical date now, interval [now, now]", async () => {
    const t0 = Date.now();
    const got = await call<TriggerIntervalResponse>("viewer", "/api/dags/manual_only/trigger-interval", undefined, 200);
    const at = new Date(got.logicalDate).getTime();
    expect(at).toBeGreaterThanOrEqual(t0);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(got).toMatchObject({ dataIntervalStart: got.logicalDate, dataIntervalEnd: got.logicalDate, inferred: true });
  });

  it("a bad date is a 400, an unknown DAG a 404; the endpoint is in the OpenAPI document", async () => {
    const bad = await call<{ error: { message: string } }>("viewer", "/api/dags/daily_one/trigger-interval?logicalDate=yesterday", undefined, 400);
    expect(bad.error.message).toContain("logicalDate");
    await call("viewer", "/api/dags/nope/trigger-interval", undefined, 404);
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, unknown>> };
    expect(doc.paths["/api/dags/{dagId}/trigger-interval"]?.get).toBeDefined();
  });
});
