import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineDag } from "../../src/sdk/defineDag";
import type { CompiledSchedule } from "../../src/schedule/index";
import { serializeDag, stableStringify, versionHash } from "../../src/dags/serializeDag";

function scheduleOf(timezone = "UTC"): CompiledSchedule {
  return { spec: { schedule: null, timezone, startDate: null, endDate: null, catchup: false }, cron: null, startDate: null, endDate: null, timezone };
}

const minimal = defineDag({ id: "minimal" }, (dag) => {
  const a = dag.task("a", { run: () => 1 });
  dag.task("b", { needs: { a, again: a }, run: (ctx) => ctx.upstream.a + 1 });
});

describe("serializeDag", () => {
  it("fills every default so the stored graph is complete", () => {
    const g = serializeDag(minimal, scheduleOf());
    expect(g).toMatchObject({
      dagId: "minimal",
      schedule: null,
      timezone: "UTC",
      startDate: null,
      endDate: null,
      catchup: false,
      maxActiveRuns: 16,
      maxActiveTasks: null,
      description: null,
      tags: [],
      paramsSchema: null,
    });
    expect(g.tasks[0]).toEqual({
      id: "a",
      kind: "task",
      needs: {},
      upstream: [],
      triggerRule: "all_success",
      retries: 0,
      retryDelayMs: 30_000,
      backoff: "exponential",
      maxRetryDelayMs: 3_600_000,
      jitter: 0.1,
      timeoutMs: null,
      priorityWeight: 1,
      isolation: "inline",
      inputs: [],
      outputs: [],
      doc: null,
      sensor: null,
    });
    expect(g.tasks[1]?.needs).toEqual({ a: "a", again: "a" });
    expect(g.tasks[1]?.upstream).toEqual(["a"]);
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });

  it("merges DAG defaults with task options and converts durations to milliseconds", () => {
    const dag = defineDag(
      {
        id: "opts",
        schedule: "@daily",
        startDate: "2024-01-01",
        catchup: true,
        maxActiveRuns: 2,
        maxActiveTasks: 3,
        tags: ["x"],
        description: "d",
        params: z.object({ region: z.string().default("eu") }),
        defaults: { retries: 2, retryDelay: "1m", backoff: "fixed", jitter: 0 },
      },
      (d) => {
        const s = d.sensor("wait", { poke: () => true, interval: "30s", timeout: "2h", softFail: true });
        d.task("t", { needs: { s }, retries: 5, timeout: "10m", isolation: "process", priorityWeight: 7, run: () => null });
      },
    );
    const g = serializeDag(dag, scheduleOf("Europe/Paris"));
    expect(g).toMatchObject({ schedule: "@daily", timezone: "Europe/Paris", startDate: "2024-01-01", catchup: true, maxActiveRuns: 2, maxActiveTasks: 3 });
    expect(g.tasks[0]?.sensor).toEqual({ mode: "reschedule", intervalMs: 30_000, timeoutMs: 7_200_000, softFail: true, exponentialBackoff: false });
    expect(g.tasks[0]).toMatchObject({ kind: "sensor", retries: 2, retryDelayMs: 60_000, backoff: "fixed", jitter: 0 });
    expect(g.tasks[1]).toMatchObject({ retries: 5, retryDelayMs: 60_000, timeoutMs: 600_000, isolation: "process", priorityWeight: 7 });
    const schema = g.paramsSchema as { type: string; properties: Record<string, unknown> };
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties)).toEqual(["region"]);
  });

  it("stores each check's dataset, partition column, severity and expectations with their persisted names", () => {
    const dag = defineDag({ id: "checked" }, (d) => {
      const load = d.task("load", { outputs: ["warehouse.orders"], run: () => 1 });
      d.check("orders_ok", {
        needs: { load },
        dataset: "warehouse.orders",
        severity: "warn",
        expect: [
          { kind: "rowCount", min: 1 },
          { kind: "nullRatio", column: "customer_id", max: 0.01 },
          { kind: "freshness", column: "updated_at", within: "2d", name: "fresh" },
        ],
      });
      d.check("defaults", { dataset: "orders", expect: [{ kind: "unique", columns: ["id", "ds"] }] });
    });
    const g = serializeDag(dag, scheduleOf());
    expect("check" in g.tasks[0]!).toBe(false);
    expect(g.tasks[1]).toMatchObject({ id: "orders_ok", kind: "task", inputs: ["warehouse.orders"], upstream: ["load"] });
    expect(g.tasks[1]!.check).toEqual({
      dataset: "warehouse.orders",
      partitionColumn: "ds",
      severity: "warn",
      expect: [
        { kind: "rowCount", min: 1, name: "rowCount" },
        { kind: "nullRatio", column: "customer_id", max: 0.01, name: "nullRatio(customer_id)" },
        { kind: "freshness", column: "updated_at", within: "2d", name: "fresh" },
      ],
    });
    expect(g.tasks[2]!.check).toEqual({ dataset: "orders", partitionColumn: "ds", severity: "error", expect: [{ kind: "unique", columns: ["id", "ds"], name: "unique(id,ds)" }] });
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });
});

describe("versionHash", () => {
  it("is stable across key order and changes with the graph or the source", () => {
    const g = serializeDag(minimal, scheduleOf());
    const reordered = JSON.parse(stableStringify(g)) as typeof g;
    expect(versionHash(reordered, "src")).toBe(versionHash(g, "src"));
    expect(versionHash(g, "src")).toMatch(/^[0-9a-f]{64}$/);
    expect(versionHash(g, "src // comment")).not.toBe(versionHash(g, "src"));
    expect(versionHash({ ...g, maxActiveRuns: 3 }, "src")).not.toBe(versionHash(g, "src"));
  });

  it("stableStringify sorts keys at every level but keeps array order", () => {
    expect(stableStringify({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });
});
