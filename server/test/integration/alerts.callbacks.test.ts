import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsFromEnv, eventsWhere, HttpReceiver, startAlertEngine, waitDelivered } from "../helpers/alertReceivers";
import { attemptsOf, createEngineEnv, taskStates, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * DAG-file callbacks (issue 10 item 3): functions and notifiers declared with onFailure,
 * onSuccess, onRetry (task- and DAG-level) run once per event through the outbox, with the
 * event's context, never change task or run state; a failing callback is recorded with its error
 * and given up after 3 attempts.
 */
const DAGS = fileURLToPath(new URL("../fixtures/alert_dags/", import.meta.url));

let env: EngineEnv;
let engine: Engine;
let notifier: HttpReceiver;
let callbackFile: string;

interface Recorded {
  label: string;
  event: string;
  alertId: string;
  dagId: string;
  runId: string;
  logicalDate: string;
  dataInterval: { start: string; end: string };
  taskId?: string;
  tryNumber?: number;
  error?: string;
  url: string;
  occurredAt: string;
  details: Record<string, unknown>;
}

async function recorded(): Promise<Recorded[]> {
  const text = await readFile(callbackFile, "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Recorded);
}

beforeAll(async () => {
  notifier = await HttpReceiver.start();
  env = await createEngineEnv("alertcb", { dagsFolder: DAGS, alerts: alertsFromEnv({ RUNNEL_PUBLIC_URL: "http://runnel.local:8080" }) });
  callbackFile = join(env.scratch, "callbacks.jsonl");
  // Read by the fixture DAG files when the engine loads them.
  process.env.ALERT_TEST_CALLBACK_FILE = callbackFile;
  process.env.ALERT_TEST_NOTIFIER_URL = notifier.url;
  engine = await startAlertEngine(env.config, { intervalMs: 100, retryBaseMs: 200, retryCapMs: 500 });
  expect(engine.rt.registry.importErrors()).toEqual([]);
});

afterAll(async () => {
  await engine?.close();
  await notifier?.close();
  await env?.drop();
});

describe("DAG-file callbacks", () => {
  it("onRetry, onSuccess (task and DAG) each run once with the event's context; no operator channel is involved", async () => {
    const runId = await trigger(engine.rt, "alert_cb_ok", {}, new Date("2024-06-01T00:00:00Z"));
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const events = await waitDelivered(env.db, { dag_run_id: runId }, 3);
    expect(events.map((e) => [e.event, e.task_id, e.deliveries.map((d) => [d.channel, d.attempts])])).toEqual([
      ["task_retry", "flaky", [["callback:dag.onRetry[0]", 1], ["callback:task.flaky.onRetry[0]", 1]]],
      ["task_succeeded", "flaky", [["callback:task.flaky.onSuccess[0]", 1]]],
      ["run_succeeded", null, [["callback:dag.onSuccess[0]", 1]]],
    ]);
    const lines = (await recorded()).filter((r) => r.dagId === "alert_cb_ok");
    expect(lines.map((l) => l.label).sort()).toEqual(["dag.onRetry", "dag.onSuccess", "flaky.onRetry", "flaky.onSuccess"]);

    const run = await env.db("dag_runs").where({ id: runId }).first<{ run_id: string; data_interval_start: Date; data_interval_end: Date }>("run_id", "data_interval_start", "data_interval_end");
    const ti = await env.db("task_instances").where({ dag_run_id: runId, task_id: "flaky" }).first<{ id: number }>("id");
    const retry = lines.find((l) => l.label === "flaky.onRetry")!;
    expect(retry).toEqual({
      label: "flaky.onRetry",
      event: "task_retry",
      alertId: events[0]!.id,
      dagId: "alert_cb_ok",
      runId: run!.run_id,
      logicalDate: "2024-06-01T00:00:00.000Z",
      dataInterval: { start: run!.data_interval_start.toISOString(), end: run!.data_interval_end.toISOString() },
      taskId: "flaky",
      tryNumber: 1,
      error: expect.stringContaining("flaky try 1 failed") as unknown,
      url: `http://runnel.local:8080/runs/${runId}?ti=${ti!.id}`,
      occurredAt: expect.any(String) as unknown,
      details: expect.objectContaining({ maxTries: 2 }) as unknown,
    });
    expect(lines.find((l) => l.label === "dag.onRetry")!.alertId).toBe(events[0]!.id);
    expect(lines.find((l) => l.label === "flaky.onSuccess")).toMatchObject({ event: "task_succeeded", taskId: "flaky", tryNumber: 2 });
    const runDone = lines.find((l) => l.label === "dag.onSuccess")!;
    expect(runDone).toMatchObject({ event: "run_succeeded", alertId: events[2]!.id, url: `http://runnel.local:8080/runs/${runId}` });
    expect("taskId" in runDone).toBe(false);
    // "plain" has no callback of its own and never retried: nothing about it.
    expect(await env.db("alert_events").where({ dag_run_id: runId, task_id: "plain" })).toEqual([]);
  });

  it("a failing callback is recorded with its error and given up after 3 attempts; the other callbacks and the notifier still run once; no state changes", async () => {
    const runId = await trigger(engine.rt, "alert_cb_fail", {}, new Date("2024-06-02T00:00:00Z"));
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const events = await waitFor("the callbacks to settle", async () => {
      const evs = await eventsWhere(env.db, { dag_run_id: runId });
      const settled = evs.length === 2 && evs.every((e) => e.deliveries.length > 0 && e.deliveries.every((d) => d.state === "sent" || d.state === "given_up"));
      return settled ? evs : undefined;
    });
    const [taskFailed, runFailed] = events;
    expect(taskFailed).toMatchObject({ event: "task_failed", task_id: "broken" });
    expect(taskFailed!.deliveries).toEqual([
      { channel: "callback:task.broken.onFailure[0]", state: "sent", attempts: 1, last_error: null },
      { channel: "callback:task.broken.onFailure[1]", state: "given_up", attempts: 3, last_error: "callback broke: the pager API said no" },
    ]);
    expect(runFailed).toMatchObject({ event: "run_failed", deliveries: [{ channel: "callback:dag.onFailure[0]", state: "sent", attempts: 1, last_error: null }] });

    // The notifier reached its own receiver once, signed with its own secret.
    const got = notifier.requests.filter((r) => r.headers["runnel-alert-id"] === runFailed!.id);
    expect(got).toHaveLength(1);
    expect(got[0]!.headers["runnel-signature"]).toBe(`sha256=${createHmac("sha256", "notifier-secret").update(got[0]!.body).digest("hex")}`);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ id: runFailed!.id, event: "run_failed", dagId: "alert_cb_fail", url: `http://runnel.local:8080/runs/${runId}` });
    expect(notifier.requests).toHaveLength(1);

    expect((await recorded()).filter((r) => r.dagId === "alert_cb_fail").map((r) => [r.label, r.event, r.error])).toEqual([["broken.onFailure", "task_failed", expect.stringContaining("broken for good")]]);
    // The callbacks changed nothing: one try, the task and run still failed.
    expect(await taskStates(env.db, runId)).toEqual({ broken: "failed" });
    expect(await attemptsOf(env.db, runId, "broken")).toHaveLength(1);
    const metric = await engine.rt.metrics.alertDeliveries.get();
    expect(metric.values.find((v) => v.labels.channel === "callback" && v.labels.result === "given_up")?.value).toBe(1);
  });

  it("onDeadlineMissed of the task and of the DAG run once each when the leading scheduler finds the misses", async () => {
    const runId = await trigger(engine.rt, "alert_cb_late", {}, new Date("2024-06-04T00:00:00Z"));
    const events = await waitDelivered(env.db, { dag_run_id: runId, event: "deadline_missed" }, 2);
    expect(await waitForRunEnd(env.db, runId)).toBe("success");
    const lines = (await recorded()).filter((r) => r.dagId === "alert_cb_late");
    expect(lines.map((l) => [l.label, l.event, l.taskId ?? null, l.details.kind]).sort()).toEqual([
      ["dag.onDeadlineMissed", "deadline_missed", null, "run"],
      ["slow.onDeadlineMissed", "deadline_missed", "slow", "task"],
    ]);
    expect(events.flatMap((e) => e.deliveries.map((d) => d.channel)).sort()).toEqual(["callback:dag.onDeadlineMissed[0]", "callback:task.slow.onDeadlineMissed[0]"]);
    // Late, not stopped: the task still ran to its end.
    expect(await taskStates(env.db, runId)).toEqual({ slow: "success" });
  });

  it("a callback of a DAG this process has not loaded is a failed attempt saying so", async () => {
    const [ev] = await env.db("alert_events")
      .insert({ event: "run_failed", dag_id: "ghost_dag", run_id: "manual__x", logical_date: new Date("2024-06-03T00:00:00Z"), error: "run failed", fanned_out_at: new Date() })
      .returning<Array<{ id: string }>>("id");
    await env.db("alert_deliveries").insert({ event_id: ev!.id, channel: "callback:dag.onFailure[0]" });
    const [e] = await waitDelivered(env.db, { id: ev!.id }, 1, { state: "given_up" });
    expect(e!.deliveries[0]).toMatchObject({ attempts: 3, last_error: expect.stringContaining("DAG ghost_dag is not loaded in this scheduler process") as unknown });
  });
});
