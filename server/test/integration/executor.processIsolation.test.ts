import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attemptsOf, createEngineEnv, startEngine, taskStates, trigger, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const DAGS = fileURLToPath(new URL("../fixtures/isolation_dags/", import.meta.url));
const DAY = new Date("2024-04-02T00:00:00Z");

let env: EngineEnv;
let engine: Engine;

async function outputOf(dagRunId: number, taskId: string): Promise<Record<string, unknown>> {
  const row = await env.db("task_instances").where({ dag_run_id: dagRunId, task_id: taskId }).first<{ output: Record<string, unknown> }>("output");
  return row!.output;
}

async function logOf(dagRunId: number, taskId: string): Promise<string[]> {
  return env.db("task_logs as l").join("task_instances as t", "t.id", "l.task_instance_id").where({ "t.dag_run_id": dagRunId, "t.task_id": taskId }).orderBy("l.id").pluck("l.message");
}

beforeAll(async () => {
  env = await createEngineEnv("iso", { dagsFolder: DAGS });
  await env.db.raw("CREATE SCHEMA IF NOT EXISTS warehouse; CREATE TABLE warehouse.iso_rows (ds text NOT NULL, pid integer NOT NULL)");
  engine = await startEngine(env.config);
  expect(engine.rt.registry.importErrors()).toEqual([]);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe('isolation: "process"', () => {
  it("runs the task in a child process with the same context, logs, outputs and recorded writes", async () => {
    const runId = await trigger(engine.rt, "isolated", {}, DAY);
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    expect(await taskStates(env.db, runId)).toEqual({ where_am_i: "success", write_rows: "success", inline_neighbour: "success" });
    const where = await outputOf(runId, "where_am_i");
    expect(where).toMatchObject({ partition: "2024-04-02", attempt: 1 });
    expect(where.pid).not.toBe(process.pid);
    expect((await outputOf(runId, "inline_neighbour")).pid).toBe(process.pid);
    // console output and ctx.log of the child land in the try's log.
    expect(await logOf(runId, "where_am_i")).toEqual(expect.arrayContaining(["child says hello for 2024-04-02", "a ctx.log line from the child"]));
    // The child's partition write is real and recorded for lineage like any other.
    const rows = await env.db.raw("SELECT pid FROM warehouse.iso_rows WHERE ds = '2024-04-02'");
    expect(rows.rows).toHaveLength(1);
    expect(Number(rows.rows[0].pid)).toBe(where.pid);
    const events: Array<{ uri: string; partition: string; row_count: number | string }> = await env.db("dataset_events as e").join("datasets as d", "d.id", "e.dataset_id").where({ "e.dag_run_id": runId }).select("d.uri", "e.partition", "e.row_count");
    expect(events.map((e) => ({ ...e, row_count: Number(e.row_count) }))).toEqual([{ uri: "warehouse.iso_rows", partition: "2024-04-02", row_count: 1 }]);
  });

  it("kills a task that never yields at its timeout, while the worker stays responsive", async () => {
    const runId = await trigger(engine.rt, "isolated_spin", {}, DAY);
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    // The timeout fired in this process although the task never yields: it was not running here.
    const [attempt] = await attemptsOf(env.db, runId, "spin");
    expect(attempt).toMatchObject({ state: "failed", error_code: "TASK_TIMEOUT" });
    expect(attempt!.error).toMatch(/timed out after 1500 ms/);
    // Meanwhile other work still runs on the same worker.
    const other = await trigger(engine.rt, "isolated", {}, new Date("2024-04-03T00:00:00Z"));
    expect(await waitForRunEnd(env.db, other)).toBe("success");
  });

  it("keeps the meaning of a Runnel error thrown in the child (NonRetryableError: no retry)", async () => {
    const runId = await trigger(engine.rt, "isolated_refuse", {}, DAY);
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const attempts = await attemptsOf(env.db, runId, "refuse");
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ state: "failed", error: "bad input, do not retry", error_code: "NON_RETRYABLE" });
  });
});
