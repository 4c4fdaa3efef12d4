import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CancelResponse, ClearResponse, MarkResponse, RunDetail } from "../../src/api/contract";
import { insertLogLines } from "../../src/store/taskLogs";
import { attemptsOf, taskStates, waitFor, waitForRunEnd } from "../helpers/engine";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apiact");
});
afterAll(async () => {
  await s?.close();
});

async function act<T>(path: string, body: unknown, status = 200): Promise<T> {
  const res = await s.call("operator", path, { body });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
}

/** Reads an SSE response until `done` says so; returns the raw text seen. */
async function readSse(res: Response, done: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + timeoutMs;
  while (!done(text)) {
    if (Date.now() > deadline) throw new Error(`SSE timed out; saw: ${text}`);
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value);
  }
  await reader.cancel();
  return text;
}

describe("API actions", () => {
  it("refuses a trigger with a bad param with a 400 naming the field", async () => {
    const res = await s.call("operator", "/api/dags/gated/trigger", { body: { conf: { scratch: 5 } } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_params");
    expect(body.error.message).toContain("scratch");
    const date = await s.call("operator", "/api/dags/flaky/trigger", { body: { logicalDate: "yesterday" } });
    expect(date.status).toBe(400);
    expect(((await date.json()) as { error: { message: string } }).error.message).toContain("logicalDate");
    expect((await s.call("operator", "/api/dags/nope/trigger", { body: {} })).status).toBe(404);
  });

  it("marks a task failed, then clears it with downstream: the dry run lists exactly what is cleared, and it runs again to success", async () => {
    const { dagRunId } = await act<{ dagRunId: number }>("/api/dags/flaky/trigger", {}, 201);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const detail = (await (await s.call("viewer", `/api/runs/${dagRunId}`)).json()) as RunDetail;
    const after = detail.taskInstances.find((t) => t.taskId === "after")!;

    const dryMark = await act<MarkResponse>(`/api/task-instances/${after.id}/mark`, { state: "failed", dryRun: true });
    expect(dryMark.marked.map((m) => m.taskId)).toEqual(["after"]);
    expect((await taskStates(s.env.db, dagRunId)).after).toBe("success");
    await act<MarkResponse>(`/api/task-instances/${after.id}/mark`, { state: "failed" });
    expect(await taskStates(s.env.db, dagRunId)).toEqual({ flaky: "success", after: "failed" });
    expect((await s.env.db("dag_runs").where({ id: dagRunId }).first<{ state: string }>()).state).toBe("failed");

    const dry = await act<ClearResponse>(`/api/runs/${dagRunId}/clear`, { taskIds: ["flaky"], downstream: true, dryRun: true });
    expect(dry.cleared.map((c) => [c.taskId, c.state])).toEqual([
      ["flaky", "success"],
      ["after", "failed"],
    ]);
    expect(await taskStates(s.env.db, dagRunId)).toEqual({ flaky: "success", after: "failed" });
    const real = await act<ClearResponse>(`/api/runs/${dagRunId}/clear`, { taskIds: ["flaky"], downstream: true });
    expect(real.cleared).toEqual(dry.cleared);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    expect((await attemptsOf(s.env.db, dagRunId, "flaky")).map((a) => a.state)).toEqual(["failed", "failed", "failed", "success", "success"]);
    expect(await taskStates(s.env.db, dagRunId)).toEqual({ flaky: "success", after: "success" });
    const unknown = await s.call("operator", `/api/runs/${dagRunId}/clear`, { body: { taskIds: ["nope"] } });
    expect(unknown.status).toBe(400);
  });

  it("clears only failed task instances with failedOnly", async () => {
    const { dagRunId } = await act<{ dagRunId: number }>("/api/dags/failing/trigger", {}, 201);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("failed");
    const dry = await act<ClearResponse>(`/api/runs/${dagRunId}/clear`, { failedOnly: true, dryRun: true });
    expect(dry.cleared.map((c) => c.taskId).sort()).toEqual(["broken", "needs_broken", "slow"]);
    expect(dry.skipped).toEqual([]);
  });

  it("cancels a running run: its unfinished tasks are removed and a late finish is dropped", async () => {
    const { dagRunId, runId } = await act<{ dagRunId: number; runId: string }>("/api/dags/gated/trigger", { conf: { scratch: s.env.scratch } }, 201);
    const safe = runId.replace(/[^A-Za-z0-9_-]/g, "_");
    await waitFor("gate to start", async () => (existsSync(join(s.env.scratch, `${safe}.started`)) ? true : undefined));
    const res = await act<CancelResponse>(`/api/runs/${dagRunId}/cancel`, {});
    expect(res.removed.map((r) => [r.taskId, r.state])).toEqual([
      ["gate", "running"],
      ["last", "pending"],
    ]);
    writeFileSync(join(s.env.scratch, `${safe}.open`), "");
    await new Promise((r) => setTimeout(r, 500));
    expect(await taskStates(s.env.db, dagRunId)).toEqual({ first: "success", gate: "removed", last: "removed" });
    expect((await s.env.db("dag_runs").where({ id: dagRunId }).first<{ state: string }>()).state).toBe("canceled");
    expect((await s.call("operator", `/api/runs/${dagRunId}/cancel`, { body: {} })).status).toBe(409);
  });

  it("pauses and unpauses a DAG", async () => {
    expect(await act("/api/dags/flaky/pause", {})).toEqual({ dagId: "flaky", isPaused: true });
    expect((await s.env.db("dags").where({ dag_id: "flaky" }).first<{ is_paused: boolean }>()).is_paused).toBe(true);
    expect(await act("/api/dags/flaky/unpause", {})).toEqual({ dagId: "flaky", isPaused: false });
  });

  it("streams run and task state changes over SSE", async () => {
    const abort = new AbortController();
    const res = await fetch(`${s.base}/api/events?dagId=flaky`, { headers: { authorization: `Bearer ${s.tokens.viewer}` }, signal: abort.signal });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const { dagRunId } = await act<{ dagRunId: number }>("/api/dags/flaky/trigger", {}, 201);
    const text = await readSse(res, (t) => t.includes(`"dagRunId":${dagRunId},"dagId":"flaky"`) && /event: run\ndata: \{[^\n]*"state":"success"/.test(t), 30_000);
    expect(text).toContain("event: task");
    abort.abort();
  });

  it("streams new log lines of a task instance", async () => {
    const ti = (await s.env.db("task_instances").first<{ id: number }>("id"))!;
    const abort = new AbortController();
    const res = await fetch(`${s.base}/api/task-instances/${ti.id}/logs/stream?try=7`, { headers: { authorization: `Bearer ${s.tokens.viewer}` }, signal: abort.signal });
    await insertLogLines(s.env.db, ti.id, 7, [{ ts: new Date(), level: "info", message: "live <b>line</b>" }]);
    const text = await readSse(res, (t) => t.includes("live <b>line</b>"));
    expect(text).toMatch(/event: log\ndata: \{[^\n]*"tryNumber":7/);
    abort.abort();
  });
});
