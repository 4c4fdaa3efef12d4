import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetter, DeadLetterActionResponse, DeadLetterDetail, DeadLetterListResponse, DeadLetterValidateResponse, RunChecksResponse } from "../../src/api/contract";
import { waitFor, waitForRunEnd } from "../helpers/engine";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

// Task-level dead letters (migration 0011's triggers), the payload validation endpoint and a run's
// check results, through the HTTP API of a real engine.
const DLQ_DAGS = fileURLToPath(new URL("../fixtures/dlq_dags/", import.meta.url));

let s: ApiStack;
let scratch: string;
beforeAll(async () => {
  s = await startApiStack("apitdl", { config: { dagsFolder: DLQ_DAGS } });
  scratch = await mkdtemp(join(tmpdir(), "runnel-tdl-"));
});
afterAll(async () => {
  await s?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function act<T>(role: "viewer" | "operator" | "admin", path: string, body: unknown, method = "POST", status = 200): Promise<T> {
  const res = await s.call(role, path, { body, method });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
}
const get = async <T>(path: string): Promise<T> => act<T>("viewer", path, undefined, "GET");

/** Triggers fails_until_marker for `logicalDate` with its marker at `marker` and waits for the run's end. */
async function runMarkerDag(logicalDate: string, marker: string, expected: "failed" | "success"): Promise<number> {
  const { dagRunId } = await act<{ dagRunId: number }>("operator", "/api/dags/fails_until_marker/trigger", { logicalDate, conf: { marker } }, "POST", 201);
  expect(await waitForRunEnd(s.env.db, dagRunId)).toBe(expected);
  return dagRunId;
}

async function taskLettersOf(dagRunId: number): Promise<DeadLetter[]> {
  const list = await get<DeadLetterListResponse>("/api/dead-letters?dagId=fails_until_marker&kind=task");
  return list.deadLetters.filter((d) => d.dagRunId === dagRunId);
}

async function letterWhen(id: number, what: string, ok: (d: DeadLetterDetail) => boolean): Promise<DeadLetterDetail> {
  return waitFor(what, async () => {
    const d = await get<DeadLetterDetail>(`/api/dead-letters/${id}`);
    return ok(d) ? d : undefined;
  });
}

async function tiState(dagRunId: number, taskId: string): Promise<{ id: number; state: string }> {
  const row = (await s.env.db("task_instances").select("id", "state").where({ dag_run_id: dagRunId, task_id: taskId }).first()) as { id: string; state: string };
  return { id: Number(row.id), state: row.state };
}

async function auditOf(target: string): Promise<Array<{ action: string; actor: string }>> {
  return (await s.env.db("audit_log").select("action", "actor").where({ target }).orderBy("id")) as Array<{ action: string; actor: string }>;
}

describe("task dead letters", () => {
  it("a task failing after its retries opens one letter with its error and try; Retry reruns it, a new failure reopens it, success marks it replayed", async () => {
    const marker = join(scratch, "retry.ok");
    const dagRunId = await runMarkerDag("2024-05-01", marker, "failed");
    const fetch = await tiState(dagRunId, "fetch");
    expect(fetch.state).toBe("failed");
    expect((await tiState(dagRunId, "publish")).state).toBe("upstream_failed");

    // Only the task that failed gets a letter (not its upstream_failed downstream), with the last try's error.
    const letters = await taskLettersOf(dagRunId);
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter).toMatchObject({ kind: "task", status: "open", taskId: "fetch", taskInstanceId: fetch.id, dagRunId, tryNumber: 2, attempts: 1, partition: "2024-05-01", payload: null });
    expect(letter.error).toBe(`marker ${marker} is missing <b>try 2</b>`);
    const created = await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`);
    expect(created.history.map((h) => [h.event, h.actor])).toEqual([["created", "task"]]);
    expect(created.schema).toBeNull();

    // Viewers see it but cannot act on it; records-only and tasks-only actions refuse the other kind.
    for (const action of ["retry", "mark-success"]) expect((await s.call("viewer", `/api/dead-letters/${letter.id}/${action}`, { body: {} })).status).toBe(403);
    expect((await s.call("viewer", `/api/dead-letters/${letter.id}/discard`, { body: { reason: "x" } })).status).toBe(403);
    expect((await s.call("operator", `/api/dead-letters/${letter.id}`, { method: "PATCH", body: { payload: {} } })).status).toBe(409);

    const dry = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter.id}/retry`, { dryRun: true });
    expect(dry.results[0]!.cleared.map((c) => c.taskId)).toEqual(["fetch", "publish"]);
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`)).status).toBe("open");

    // Retry while the marker is still missing: it fails again, and the same letter is reopened.
    await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter.id}/retry`, {});
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("failed");
    const reopened = await letterWhen(letter.id, "the letter to reopen", (d) => d.status === "open" && d.attempts === 2);
    expect(reopened.tryNumber).toBe(4);
    expect(reopened.error).toContain("try 4");
    expect(reopened.history.map((h) => [h.event, h.actor])).toEqual([
      ["created", "task"],
      ["replay_requested", "operator"],
      ["requeued", "task"],
    ]);
    expect(await taskLettersOf(dagRunId)).toHaveLength(1);

    // Fix the cause and retry: the rerun succeeds, the letter is replayed and the run ends well.
    await writeFile(marker, "ok");
    const real = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter.id}/retry`, {});
    expect(real.results[0]!.cleared.map((c) => c.taskId)).toEqual(["fetch", "publish"]);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const replayed = await letterWhen(letter.id, "the letter to be replayed", (d) => d.status === "replayed");
    expect(replayed.history.map((h) => h.event)).toEqual(["created", "replay_requested", "requeued", "replay_requested", "replayed"]);
    expect((await s.call("operator", `/api/dead-letters/${letter.id}/retry`, { body: {} })).status).toBe(409);
    expect(await auditOf(`dead_letter:${letter.id}`)).toEqual([
      { action: "dead_letter.retry", actor: "operator" },
      { action: "dead_letter.retry", actor: "operator" },
    ]);
  });

  it("Mark success resolves a letter and lets the run finish; Dismiss discards one with its reason; marking failed opens one", async () => {
    const missing = join(scratch, "never.ok");
    const runA = await runMarkerDag("2024-05-02", missing, "failed");
    const [a] = await taskLettersOf(runA);
    const dry = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${a!.id}/mark-success`, { dryRun: true });
    expect(dry.results[0]!.cleared.map((c) => [c.taskId, c.state])).toEqual([["fetch", "failed"]]);
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${a!.id}`)).status).toBe("open");
    await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${a!.id}/mark-success`, {});
    const resolved = await get<DeadLetterDetail>(`/api/dead-letters/${a!.id}`);
    expect(resolved.status).toBe("resolved");
    expect(resolved.history.at(-1)).toMatchObject({ event: "resolved", actor: "operator", details: { reason: "marked success", was: "failed" } });
    expect((await tiState(runA, "fetch")).state).toBe("success");
    // publish was upstream_failed: marking is not clearing, so the run ends (as failed, by that leaf).
    expect(await waitForRunEnd(s.env.db, runA)).toBe("failed");
    expect((await s.call("operator", `/api/dead-letters/${a!.id}/mark-success`, { body: {} })).status).toBe(409);
    expect(await auditOf(`dead_letter:${a!.id}`)).toEqual([{ action: "dead_letter.mark_success", actor: "operator" }]);

    const runB = await runMarkerDag("2024-05-03", missing, "failed");
    const [b] = await taskLettersOf(runB);
    expect((await s.call("operator", `/api/dead-letters/${b!.id}/discard`, { body: {} })).status).toBe(400);
    await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${b!.id}/discard`, { reason: "known outage upstream" });
    const dismissed = await get<DeadLetterDetail>(`/api/dead-letters/${b!.id}`);
    expect(dismissed.status).toBe("discarded");
    expect(dismissed.history.at(-1)).toMatchObject({ event: "discarded", actor: "operator", details: { reason: "known outage upstream" } });
    expect((await s.call("operator", `/api/dead-letters/${b!.id}/mark-success`, { body: {} })).status).toBe(409);
    expect(await auditOf(`dead_letter:${b!.id}`)).toEqual([{ action: "dead_letter.discard", actor: "operator" }]);
    // The dismissed task is still failed; a new failure of it would open a new letter, not revive this one.
    expect((await tiState(runB, "fetch")).state).toBe("failed");

    // A person marking a task failed opens a letter too, saying who did it.
    const ok = join(scratch, "ok-for-c");
    await writeFile(ok, "ok");
    const runC = await runMarkerDag("2024-05-04", ok, "success");
    expect(await taskLettersOf(runC)).toHaveLength(0);
    const publish = await tiState(runC, "publish");
    await act("operator", `/api/task-instances/${publish.id}/mark`, { state: "failed" });
    const [c] = await taskLettersOf(runC);
    expect(c).toMatchObject({ taskId: "publish", status: "open", error: "marked failed by operator (was success)", attempts: 1 });
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${c!.id}`)).history.map((h) => [h.event, h.actor])).toEqual([["created", "operator"]]);
  });

  it("retry and mark-success refuse record letters", async () => {
    const { dagRunId } = await act<{ dagRunId: number }>("operator", "/api/dags/validated_orders/trigger", { logicalDate: "2024-05-10" }, "POST", 201);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const record = (await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&kind=record")).deadLetters.find((d) => d.dagRunId === dagRunId)!;
    expect((await s.call("operator", `/api/dead-letters/${record.id}/retry`, { body: {} })).status).toBe(409);
    expect((await s.call("operator", `/api/dead-letters/${record.id}/mark-success`, { body: {} })).status).toBe(409);
  });
});

describe("POST /api/dead-letters/:id/validate", () => {
  it("checks a payload against the JSON Schema ctx.validate stored from the zod schema", async () => {
    const { dagRunId } = await act<{ dagRunId: number }>("operator", "/api/dags/validated_orders/trigger", { logicalDate: "2024-05-11" }, "POST", 201);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const listed = (await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&kind=record")).deadLetters.find((d) => d.dagRunId === dagRunId)!;
    const letter = await get<DeadLetterDetail>(`/api/dead-letters/${listed.id}`);
    expect(letter.schema).toMatchObject({ type: "object", required: ["order_id", "amount"], properties: { amount: { type: "number", exclusiveMinimum: 0 } } });

    const path = `/api/dead-letters/${letter.id}/validate`;
    expect(await act<DeadLetterValidateResponse>("viewer", path, { payload: { order_id: "o2", amount: 25 } })).toEqual({ valid: true, checked: true, issues: [] });
    const bad = await act<DeadLetterValidateResponse>("viewer", path, { payload: { order_id: "o2", amount: -5 } });
    expect(bad.valid).toBe(false);
    expect(bad.issues.map((i) => i.path)).toEqual(["/amount"]);
    const missing = await act<DeadLetterValidateResponse>("operator", path, { payload: { amount: "25" } });
    expect(missing.issues.map((i) => i.path).sort()).toEqual(["/amount", "/order_id"]);
    expect((await act<DeadLetterValidateResponse>("viewer", path, { payload: [1, 2] })).valid).toBe(false);
    // Validating saves nothing.
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`)).payload).toEqual({ order_id: "o2", amount: -5 });

    expect((await s.call("viewer", "/api/dead-letters/99999999/validate", { body: { payload: {} } })).status).toBe(404);
    expect((await s.call("viewer", path, { body: {} })).status).toBe(400);
    expect((await s.call(null, path, { body: { payload: {} } })).status).toBe(401);
    // A task letter has no schema: nothing to check against.
    const [task] = await taskLettersOf(await runMarkerDag("2024-05-14", join(scratch, "absent"), "failed"));
    expect(await act<DeadLetterValidateResponse>("viewer", `/api/dead-letters/${task!.id}/validate`, { payload: { any: 1 } })).toEqual({ valid: true, checked: false, issues: [] });
  });
});

describe("GET /api/runs/:dagRunId/checks", () => {
  it("lists the run's check results with severity, observed and threshold", async () => {
    const { dagRunId } = await act<{ dagRunId: number }>("operator", "/api/dags/checked_orders/trigger", { logicalDate: "2024-05-12" }, "POST", 201);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const res = await get<RunChecksResponse>(`/api/runs/${dagRunId}/checks`);
    expect(res.dagRunId).toBe(dagRunId);
    expect(res.checks.map((c) => ({ taskId: c.taskId, dataset: c.dataset, partition: c.partition, severity: c.severity, kind: c.kind, passed: c.passed }))).toEqual([
      { taskId: "check_orders", dataset: "warehouse.dlq_checked", partition: "2024-05-12", severity: "warn", kind: "rowCount", passed: true },
      { taskId: "check_orders", dataset: "warehouse.dlq_checked", partition: "2024-05-12", severity: "warn", kind: "rowCount", passed: false },
    ]);
    expect(res.checks.map((c) => [c.expectation, c.observed, c.threshold, c.tryNumber])).toEqual([
      ["has_rows", "2 rows", "rows between 1 and +inf", 1],
      ["at_least_ten", "2 rows", "rows between 10 and +inf", 1],
    ]);
    // A run without checks answers an empty list; an unknown run is a 404.
    const other = await runMarkerDag("2024-05-13", join(scratch, "nope"), "failed");
    expect((await get<RunChecksResponse>(`/api/runs/${other}/checks`)).checks).toEqual([]);
    expect((await s.call("viewer", "/api/runs/99999999/checks")).status).toBe(404);
    expect((await s.call(null, `/api/runs/${dagRunId}/checks`)).status).toBe(401);
  });
});
