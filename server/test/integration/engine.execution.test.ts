import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finishTry } from "../../src/store/taskTries";
import { attemptsOf, createEngineEnv, startEngine, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

let env: EngineEnv;
let engine: Engine;

beforeAll(async () => {
  env = await createEngineEnv("exec");
  engine = await startEngine(env.config);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("task execution through the scheduler and BullMQ workers", () => {
  it("retries a flaky task with exponential backoff and passes its output downstream", async () => {
    const runId = await trigger(engine.rt, "flaky");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const attempts = await attemptsOf(env.db, runId, "flaky");
    expect(attempts.map((a) => [a.try_number, a.state])).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
      [4, "success"],
    ]);
    expect(attempts[0]!.error).toBe("boom on try 1");
    // retryDelay 200ms, exponential, no jitter: the gaps between a failure and the next start are 200, 400, 800 ms.
    const gaps = attempts.slice(1).map((a, i) => a.start_date.getTime() - attempts[i]!.end_date!.getTime());
    const expected = [200, 400, 800];
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i]! - 5);
      // Upper bound: a delayed job is promoted and picked up promptly, even on a loaded CI box.
      expect(gap).toBeLessThan(expected[i]! + 400);
    });
    expect(gaps[2]! - gaps[1]!).toBeGreaterThan(gaps[1]! - gaps[0]!);
    const after = await env.db("task_instances").where({ dag_run_id: runId, task_id: "after" }).first();
    expect(after.output).toEqual({ saw: 4 });
    expect(after.try_number).toBe(1);
  });

  it("fails at once on NonRetryableError, applies trigger rules downstream, skips, and times out", async () => {
    const runId = await trigger(engine.rt, "failing");
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    expect(await taskStates(env.db, runId)).toEqual({
      broken: "failed",
      fine: "success",
      needs_broken: "upstream_failed",
      cleanup: "success",
      on_failure: "success",
      skipper: "skipped",
      after_skip: "skipped",
      slow: "failed",
    });
    const broken = await attemptsOf(env.db, runId, "broken");
    expect(broken).toHaveLength(1);
    expect(broken[0]!.error_code).toBe("NON_RETRYABLE");
    const slow = await attemptsOf(env.db, runId, "slow");
    expect(slow).toHaveLength(1);
    expect(slow[0]!.error_code).toBe("TASK_TIMEOUT");
    const logs = await env.db("task_logs as l").join("task_instances as t", "t.id", "l.task_instance_id").where({ "t.dag_run_id": runId, "t.task_id": "slow" }).pluck("l.message");
    expect(logs).toContain("aborted: TaskTimeoutError");
    const letters = await env.db("dead_letters").where({ dag_run_id: runId, kind: "task" }).select("task_id", "error");
    expect(letters).toEqual(expect.arrayContaining([{ task_id: "broken", error: "bad input, do not retry" }, expect.objectContaining({ task_id: "slow" })]));
    expect(letters).toHaveLength(2);

    // Failing again (as after a clear) updates the open task dead letter instead of adding one.
    const ti = await env.db("task_instances").where({ dag_run_id: runId, task_id: "broken" }).first();
    await env.db("dag_runs").where({ id: runId }).update({ state: "running" });
    await env.db("task_instances").where({ id: ti.id }).update({ state: "running", try_number: 2 });
    await env.db("task_attempts").insert({ task_instance_id: ti.id, try_number: 2, state: "running" });
    const again = await finishTry(env.db, { id: ti.id, dagRunId: runId, taskId: "broken", tryNumber: 2, state: "failed", attemptState: "failed", error: "still bad" }, () => true);
    expect(again.won).toBe(true);
    const open = await env.db("dead_letters").where({ task_instance_id: ti.id, kind: "task", status: "open" }).select("error", "attempts", "try_number");
    expect(open).toEqual([{ error: "still bad", attempts: 2, try_number: 2 }]);
  });

  it("never runs more than maxActiveTasks of a DAG at once", async () => {
    const runId = await trigger(engine.rt, "limited");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const rows = (await env.db("task_attempts as a").join("task_instances as t", "t.id", "a.task_instance_id").where({ "t.dag_run_id": runId }).select("a.start_date", "a.end_date")) as {
      start_date: Date;
      end_date: Date;
    }[];
    expect(rows).toHaveLength(6);
    const events = rows.flatMap((r) => [
      { t: r.start_date.getTime(), d: 1 },
      { t: r.end_date.getTime(), d: -1 },
    ]);
    events.sort((a, b) => a.t - b.t || a.d - b.d);
    let now = 0;
    let peak = 0;
    for (const e of events) peak = Math.max(peak, (now += e.d));
    expect(peak).toBe(2);
  });

  it("records the DAG version each run used", async () => {
    const runId = await trigger(engine.rt, "flaky");
    const run = await env.db("dag_runs").where({ id: runId }).first();
    const dag = await env.db("dags").where({ dag_id: "flaky" }).first();
    expect(run.dag_version_id).toBe(dag.latest_version_id);
    const version = await env.db("dag_versions").where({ id: run.dag_version_id }).first();
    expect(version.graph.tasks.map((t: { id: string }) => t.id)).toEqual(["flaky", "after"]);
    await waitForRunEnd(env.db, runId);
  });

  it("rejects a completion from a stale try", async () => {
    const runId = await trigger(engine.rt, "flaky");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const ti = await env.db("task_instances").where({ dag_run_id: runId, task_id: "flaky" }).first();
    // Try 2 of this task failed long ago; its late "success" must not overwrite anything.
    const late = await finishTry(env.db, { id: ti.id, dagRunId: runId, taskId: "flaky", tryNumber: 2, state: "success", attemptState: "success", output: { late: true } }, () => true);
    expect(late.won).toBe(false);
    const after = await env.db("task_instances").where({ id: ti.id }).first();
    expect(after.output).toEqual({ succeededOn: 4 });
    expect(after.try_number).toBe(4);
    const attempt2 = await env.db("task_attempts").where({ task_instance_id: ti.id, try_number: 2 }).first();
    expect(attempt2.state).toBe("failed");
  });
});

describe("sensors", () => {
  it("pokes until the condition holds and passes its value downstream; a soft-failed one is skipped", async () => {
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const runId = await trigger(engine.rt, "sensing", { scratch: env.scratch });
    await waitFor("a few pokes", async () => {
      const n = await env.db("task_logs as l").join("task_instances as t", "t.id", "l.task_instance_id").where({ "t.dag_run_id": runId, "t.task_id": "wait_for_file" }).count<{ n: string }[]>("* as n");
      return Number(n[0]!.n) >= 2 ? true : undefined;
    });
    writeFileSync(join(env.scratch, "input.csv"), "id\n1\n");
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    expect(await taskStates(env.db, runId)).toEqual({ wait_for_file: "success", use_file: "success", never: "skipped" });
    const used = await env.db("task_instances").where({ dag_run_id: runId, task_id: "use_file" }).first();
    expect(used.output).toEqual({ used: "input.csv" });
  });
});
