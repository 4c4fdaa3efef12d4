import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkResultsOfRun } from "../../src/store/checks";
import { attemptsOf, createEngineEnv, startEngine, taskStates, trigger, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const CHECK_DAGS = fileURLToPath(new URL("../fixtures/check_dags/", import.meta.url));
const DS = "2024-03-10";
const TRAILING = ["2024-03-05", "2024-03-06", "2024-03-07", "2024-03-08", "2024-03-09"];

let env: EngineEnv;
let engine: Engine;

/** Ten clean rows per trailing day (9..11 to give a stddev), amount mean ~100. */
async function fill(table: string, today: string): Promise<void> {
  await env.db.raw(`CREATE TABLE warehouse.${table} (ds date NOT NULL, customer_id text, amount numeric, status text, updated_at timestamptz)`);
  const sizes = [9, 10, 11, 10, 10];
  for (const [i, day] of TRAILING.entries()) {
    await env.db.raw(
      `INSERT INTO warehouse.${table} SELECT ?::date, 'c' || g, 95 + (g % 10), 'paid', ?::timestamptz FROM generate_series(1, ?) g`,
      [day, `${day}T12:00:00Z`, sizes[i]!],
    );
  }
  await env.db.raw(today);
}

beforeAll(async () => {
  env = await createEngineEnv("dq", { dagsFolder: CHECK_DAGS });
  await env.db.raw("CREATE SCHEMA IF NOT EXISTS warehouse");
  await fill("dq_good", `INSERT INTO warehouse.dq_good SELECT '${DS}'::date, 'c' || g, 95 + (g % 10), CASE WHEN g % 2 = 0 THEN 'new' ELSE 'paid' END, '${DS}T00:00:00Z'::timestamptz - interval '1 hour' FROM generate_series(1, 10) g`);
  // 40 rows (range and volume), duplicate and null ids, an amount of 5000 (range and mean shift), a bad status, stale timestamps.
  await fill(
    "dq_bad",
    `INSERT INTO warehouse.dq_bad SELECT '${DS}'::date, CASE WHEN g = 1 THEN NULL ELSE 'c' || (g % 20) END, CASE WHEN g = 2 THEN 5000 ELSE 95 + (g % 10) END,
       CASE WHEN g = 3 THEN 'refunded' ELSE 'paid' END, '2024-02-01T00:00:00Z' FROM generate_series(1, 40) g`,
  );
  engine = await startEngine(env.config);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("dag.check through the scheduler and workers", () => {
  it("passes every expectation kind on a clean partition, records failures of a warn check, and fails an error check without retrying", async () => {
    const runId = await trigger(engine.rt, "quality", {}, new Date(`${DS}T00:00:00Z`));
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    expect(await taskStates(env.db, runId)).toEqual({ good_all: "success", bad_warn: "success", bad_error: "failed", after_gate: "upstream_failed" });

    const results = await checkResultsOfRun(env.db, runId);
    const of = (task: string) => Object.fromEntries(results.filter((r) => r.taskId === task).map((r) => [r.kind, r.passed]));
    const kinds = ["rowCount", "nullRatio", "unique", "valueRange", "allowedValues", "freshness", "volumeAnomaly", "distributionShift"];
    expect(of("good_all")).toEqual(Object.fromEntries(kinds.map((k) => [k, true])));
    expect(of("bad_warn")).toEqual(Object.fromEntries(kinds.map((k) => [k, false])));
    expect(results.every((r) => r.partition === DS)).toBe(true);
    expect(results.find((r) => r.taskId === "bad_warn")?.severity).toBe("warn");

    const warnTi = await env.db("task_instances").where({ dag_run_id: runId, task_id: "bad_warn" }).first();
    expect(warnTi.output).toMatchObject({ dataset: "warehouse.dq_bad", partition: DS, passed: 0 });
    const warnings = await env.db("task_logs").where({ task_instance_id: warnTi.id, level: "warn" }).pluck("message");
    expect(warnings.filter((m: string) => m.startsWith("check warning:"))).toHaveLength(8);

    const gate = await attemptsOf(env.db, runId, "bad_error");
    expect(gate).toHaveLength(1);
    expect(gate[0]!.error_code).toBe("NON_RETRYABLE");
    expect(gate[0]!.error).toContain("2 of 3 expectations failed on warehouse.dq_bad partition 2024-03-10");
    expect(gate[0]!.error).toContain("nullRatio(customer_id): 1 of 40 null");
    expect(gate[0]!.error).toContain('allowedValues(status): 1 not allowed e.g. "refunded"');
    expect(gate[0]!.error).not.toContain("rowCount");
  });
});
