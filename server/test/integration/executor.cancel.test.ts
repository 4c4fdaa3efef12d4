import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { presentAttempt } from "../../src/api/present";
import { CHILD_KILL_GRACE_MS } from "../../src/executor/tryCanceled";
import { listAttempts } from "../../src/store/runQueries";
import { cancelRun, clearTaskInstances, markTaskInstance } from "../../src/store/taskActions";
import { startApiStack, type ApiStack } from "../helpers/apiServer";
import { attemptsOf, createEngineEnv, startEngine, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * Cancel stops the code (issue 10 item 6): canceling a run, marking a running task, or clearing
 * it stops the try's body on the worker within 5 s (measured from the store call to the attempt
 * row's end_date), records the try `canceled` with no retry and no dead letter, and leaves the
 * next run of the DAG alone.
 */
const DAGS = fileURLToPath(new URL("../fixtures/cancel_dags/", import.meta.url));
const STOP_WITHIN_MS = 5000;

let env: EngineEnv;
let engine: Engine;
let day = 0;
const nextDay = (): Date => new Date(Date.UTC(2024, 5, 1 + day++));

beforeAll(async () => {
  env = await createEngineEnv("cancel", { dagsFolder: DAGS });
  engine = await startEngine(env.config);
  expect(engine.rt.registry.importErrors()).toEqual([]);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

async function tiId(dagRunId: number, taskId: string): Promise<number> {
  const row = await env.db("task_instances").where({ dag_run_id: dagRunId, task_id: taskId }).first<{ id: number }>("id");
  return Number(row!.id);
}

/** Waits until try `tryNumber` of the task has started on the worker. */
async function untilRunning(dagRunId: number, taskId: string, tryNumber = 1): Promise<void> {
  await waitFor(`${taskId} try ${tryNumber} running`, async () => ((await attemptsOf(env.db, dagRunId, taskId)).some((a) => a.try_number === tryNumber && a.state === "running") ? true : undefined));
}

/** Waits for try `tryNumber` to end and returns its attempt row. */
async function untilEnded(dagRunId: number, taskId: string, tryNumber = 1, timeoutMs = 20_000) {
  return waitFor(`${taskId} try ${tryNumber} to end`, async () => (await attemptsOf(env.db, dagRunId, taskId)).find((a) => a.try_number === tryNumber && a.state !== "running"), timeoutMs);
}

async function deadLettersOf(dagRunId: number): Promise<number> {
  const rows = await env.db("dead_letters").where({ dag_run_id: dagRunId }).count<{ n: string }[]>({ n: "*" });
  return Number(rows[0]?.n ?? 0);
}

async function logOf(dagRunId: number, taskId: string): Promise<string[]> {
  return env.db("task_logs as l").join("task_instances as t", "t.id", "l.task_instance_id").where({ "t.dag_run_id": dagRunId, "t.task_id": taskId }).orderBy("l.id").pluck("l.message");
}

async function nextRunSucceeds(dagId: string): Promise<void> {
  const next = await trigger(engine.rt, dagId, { quick: true }, nextDay());
  expect(await waitForRunEnd(env.db, next)).toBe("success");
}

describe("cancel stops the code", () => {
  it("cancel run: an inline task that honours ctx.signal stops within 5 s, its try canceled, no retry, no dead letter", async () => {
    const runId = await trigger(engine.rt, "cancel_honours", {}, nextDay());
    await untilRunning(runId, "wait");
    await waitFor("neighbour to succeed", async () => ((await taskStates(env.db, runId)).neighbour === "success" ? true : undefined));
    const t0 = Date.now();
    await cancelRun(env.db, runId);
    const attempt = await untilEnded(runId, "wait");
    expect(attempt).toMatchObject({ state: "canceled", error_code: "CANCELED" });
    expect(attempt.end_date!.getTime() - t0).toBeLessThan(STOP_WITHIN_MS);
    expect(await attemptsOf(env.db, runId, "wait")).toHaveLength(1);
    expect(await taskStates(env.db, runId)).toEqual({ wait: "removed", neighbour: "success" });
    expect(await deadLettersOf(runId)).toBe(0);
    await nextRunSucceeds("cancel_honours");
  });

  it('cancel run: an isolated task that ignores its signal and SIGTERM is SIGKILLed within 5 s, its try canceled', async () => {
    const runId = await trigger(engine.rt, "cancel_stubborn", {}, nextDay());
    await untilRunning(runId, "spin");
    // The child has loaded its DAG file and installed its SIGTERM handler (live log lines flush every second).
    await waitFor("the child to spin", async () => ((await logOf(runId, "spin")).includes("spinning; only SIGKILL stops me") ? true : undefined));
    const t0 = Date.now();
    await cancelRun(env.db, runId);
    const attempt = await untilEnded(runId, "spin");
    expect(attempt.state).toBe("canceled");
    expect(attempt.end_date!.getTime() - t0).toBeLessThan(STOP_WITHIN_MS);
    // It was asked first (SIGTERM, which it ignored), then killed.
    expect(await logOf(runId, "spin")).toContain("SIGTERM ignored");
    expect(attempt.end_date!.getTime() - t0).toBeGreaterThanOrEqual(CHILD_KILL_GRACE_MS);
    expect(await attemptsOf(env.db, runId, "spin")).toHaveLength(1);
    expect(await deadLettersOf(runId)).toBe(0);
    await nextRunSucceeds("cancel_stubborn");
  });

  it("mark failed of a running task stops it within 5 s; the new state applies, no retry", async () => {
    const runId = await trigger(engine.rt, "cancel_marked", {}, nextDay());
    await untilRunning(runId, "wait");
    const t0 = Date.now();
    const result = await markTaskInstance(env.db, await tiId(runId, "wait"), "failed", false, engine.rt.dispatch, "alice");
    await engine.rt.dispatch.dispatch(result);
    expect(result.marked.map((m) => m.state)).toEqual(["running"]);
    const attempt = await untilEnded(runId, "wait");
    expect(attempt).toMatchObject({ state: "canceled", error: "marked failed by alice while running" });
    expect(attempt.end_date!.getTime() - t0).toBeLessThan(STOP_WITHIN_MS);
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    expect(await taskStates(env.db, runId)).toEqual({ wait: "failed", after: "upstream_failed" });
    expect(await attemptsOf(env.db, runId, "wait")).toHaveLength(1);
    await nextRunSucceeds("cancel_marked");
  });

  it("clear of a running task stops its try (canceled) and runs it again as the next try", async () => {
    const runId = await trigger(engine.rt, "cancel_honours", {}, nextDay());
    await untilRunning(runId, "wait");
    const t0 = Date.now();
    const cleared = await clearTaskInstances(env.db, runId, { taskIds: ["wait"], stopRunning: true }, engine.rt.dispatch);
    await engine.rt.dispatch.dispatch(cleared);
    expect(cleared.cleared.map((c) => c.taskId)).toEqual(["wait"]);
    const first = await untilEnded(runId, "wait", 1);
    expect(first.state).toBe("canceled");
    expect(first.end_date!.getTime() - t0).toBeLessThan(STOP_WITHIN_MS);
    await untilRunning(runId, "wait", 2);
    await cancelRun(env.db, runId);
    expect((await untilEnded(runId, "wait", 2)).state).toBe("canceled");
    expect(await deadLettersOf(runId)).toBe(0);
  });

  it("an inline body that ignores its signal is reported still running after cancel, then recorded canceled when it returns", async () => {
    const runId = await trigger(engine.rt, "cancel_deaf", {}, nextDay());
    await untilRunning(runId, "sleep");
    await cancelRun(env.db, runId);
    const id = await tiId(runId, "sleep");
    const flagged = await waitFor("the attempt to say it ignores its abort signal", async () => {
      const [a] = await listAttempts(env.db, id);
      return a && presentAttempt(a).stillRunningAfterCancel ? presentAttempt(a) : undefined;
    });
    expect(flagged).toMatchObject({ state: "running", endDate: null });
    const attempt = await untilEnded(runId, "sleep", 1, 15_000);
    expect(attempt.state).toBe("canceled");
    const [after] = await listAttempts(env.db, id);
    expect(presentAttempt(after!).stillRunningAfterCancel).toBe(false);
    expect(await deadLettersOf(runId)).toBe(0);
  });
});

describe("cancel through the API, with the try on another worker", () => {
  let stack: ApiStack;
  let worker: Engine;
  beforeAll(async () => {
    // The API process runs the scheduler but no worker; the try runs in a separate runtime's worker.
    stack = await startApiStack("cancelapi", { worker: false, config: { dagsFolder: DAGS } });
    worker = await startEngine(stack.env.config, { scheduler: false });
  });
  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  });

  it("POST /api/runs/:id/cancel stops the try on the other worker within 5 s; the task instance payload shows it canceled", async () => {
    const runId = await trigger(stack.engine.rt, "cancel_honours", {}, new Date("2024-07-01T00:00:00Z"));
    await waitFor("wait running", async () => ((await attemptsOf(stack.env.db, runId, "wait")).some((a) => a.state === "running") ? true : undefined));
    const t0 = Date.now();
    const res = await stack.call("operator", `/api/runs/${runId}/cancel`, { method: "POST", body: {} });
    expect(res.status).toBe(200);
    const attempt = await waitFor("wait to end", async () => (await attemptsOf(stack.env.db, runId, "wait")).find((a) => a.state !== "running"));
    expect(attempt.state).toBe("canceled");
    expect(attempt.end_date!.getTime() - t0).toBeLessThan(STOP_WITHIN_MS);
    const row = await stack.env.db("task_instances").where({ dag_run_id: runId, task_id: "wait" }).first<{ id: number }>("id");
    const detail = (await (await stack.call("viewer", `/api/task-instances/${row!.id}`)).json()) as { state: string; attempts: Array<{ state: string; stillRunningAfterCancel: boolean }> };
    expect(detail.state).toBe("removed");
    expect(detail.attempts).toEqual([expect.objectContaining({ state: "canceled", stillRunningAfterCancel: false })]);
  });
});
