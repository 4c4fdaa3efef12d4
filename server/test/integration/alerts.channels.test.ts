import { createHmac, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDag } from "../../src/cli/testRuns";
import { checkDeadLetterThresholds, type ThresholdCrossing } from "../../src/store/alertOutbox";
import { markTaskInstance } from "../../src/store/taskActions";
import { alertsFromEnv, eventsWhere, HttpReceiver, SmtpReceiver, startAlertEngine, waitDelivered } from "../helpers/alertReceivers";
import { createEngineEnv, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * Operator channels (issue 10 item 1): every configured channel (a real HTTP receiver for the
 * webhook and for Slack, a real SMTP server for email) receives each operator event exactly once:
 * task_failed, run_failed, check_failed, deadline_missed, dead_letters_over.
 */
const DAGS = fileURLToPath(new URL("../fixtures/alert_dags/", import.meta.url));
const SECRET = "whsec_test_secret";
const CHANNELS = ["email", "slack", "webhook"];

let env: EngineEnv;
let engine: Engine;
let hook: HttpReceiver;
let slack: HttpReceiver;
let smtp: SmtpReceiver;
let day = 0;
const nextDay = (): Date => new Date(Date.UTC(2024, 2, 1 + day++));
/** Every event id delivered in this file, to check at the end that none arrived twice. */
const delivered = new Set<string>();

beforeAll(async () => {
  [hook, slack, smtp] = await Promise.all([HttpReceiver.start(), HttpReceiver.start(), SmtpReceiver.start()]);
  const alerts = alertsFromEnv({
    RUNNEL_PUBLIC_URL: "https://runnel.test/",
    RUNNEL_ALERT_WEBHOOK_URL: hook.url,
    RUNNEL_ALERT_WEBHOOK_SECRET: SECRET,
    RUNNEL_ALERT_SLACK_URL: slack.url,
    RUNNEL_ALERT_EMAIL_TO: "ops@example.com, oncall@example.com",
    RUNNEL_SMTP_URL: smtp.url,
    RUNNEL_ALERT_DEAD_LETTERS_OVER: "3",
  });
  env = await createEngineEnv("alertch", { dagsFolder: DAGS, alerts });
  engine = await startAlertEngine(env.config, { intervalMs: 100, thresholdEveryMs: 200 });
  expect(engine.rt.registry.importErrors()).toEqual([]);
});

afterAll(async () => {
  await engine?.close();
  await Promise.all([hook?.close(), slack?.close(), smtp?.close()]);
  await env?.drop();
});

/** Each event reached every channel once, as its payload says. */
function expectOnEveryChannel(ids: string[]): void {
  const hooks = hook.acceptedById();
  const slacks = slack.acceptedById();
  const mails = smtp.byId();
  for (const id of ids) {
    expect(hooks.get(id), `webhook deliveries of ${id}`).toBe(1);
    expect(slacks.get(id), `Slack deliveries of ${id}`).toBe(1);
    expect(mails.get(id), `emails of ${id}`).toBe(1);
    delivered.add(id);
  }
}

/** One dead_letters_over check now (waiting while a sender holds its lock). */
async function thresholdCheck(): Promise<ThresholdCrossing[]> {
  return waitFor("the threshold check lock", async () => (await checkDeadLetterThresholds(env.db, 3)) ?? undefined);
}

function webhookBody(id: string): Record<string, unknown> {
  const req = hook.accepted().find((r) => r.headers["runnel-alert-id"] === id);
  return JSON.parse(req!.body) as Record<string, unknown>;
}

describe("operator channels", () => {
  it("task_failed and run_failed reach the webhook (signed), Slack and email once each, with the documented payload", async () => {
    const runId = await trigger(engine.rt, "alert_fail", {}, nextDay());
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const events = await waitDelivered(env.db, { dag_run_id: runId }, 2, { channels: 3 });
    expect(events.map((e) => [e.event, e.task_id])).toEqual([
      ["task_failed", "boom"],
      ["run_failed", null],
    ]);
    for (const e of events) expect(e.deliveries.map((d) => [d.channel, d.state, d.attempts])).toEqual(CHANNELS.map((c) => [c, "sent", 1]));
    expectOnEveryChannel(events.map((e) => e.id));

    const [taskFailed, runFailed] = events;
    const ti = await env.db("task_instances").where({ dag_run_id: runId, task_id: "boom" }).first<{ id: number }>("id");
    const run = await env.db("dag_runs").where({ id: runId }).first<{ run_id: string }>("run_id");
    const body = webhookBody(taskFailed!.id);
    expect(body).toEqual({
      id: taskFailed!.id,
      event: "task_failed",
      dagId: "alert_fail",
      runId: run!.run_id,
      logicalDate: "2024-03-01T00:00:00.000Z",
      taskId: "boom",
      tryNumber: 1,
      error: expect.stringContaining("boom: the input file is corrupt") as unknown,
      url: `https://runnel.test/runs/${runId}?ti=${ti!.id}`,
      occurredAt: expect.any(String) as unknown,
      details: {},
    });
    expect(webhookBody(runFailed!.id)).toMatchObject({ event: "run_failed", error: "failed tasks: after (upstream_failed), boom (failed)", url: `https://runnel.test/runs/${runId}` });
    expect("taskId" in webhookBody(runFailed!.id)).toBe(false);

    // The signature is an HMAC-SHA256 of the exact body bytes with the secret.
    for (const req of hook.accepted()) {
      const sig = String(req.headers["runnel-signature"]);
      expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/);
      const want = createHmac("sha256", SECRET).update(Buffer.from(req.body, "utf8")).digest();
      expect(timingSafeEqual(Buffer.from(sig.slice(7), "hex"), want)).toBe(true);
      expect(req.headers["content-type"]).toBe("application/json");
    }

    const msg = JSON.parse(slack.accepted().find((r) => r.headers["runnel-alert-id"] === taskFailed!.id)!.body) as { text: string; blocks: unknown[] };
    expect(msg.text).toContain("task_failed: alert_fail.boom 2024-03-01");
    const blocks = JSON.stringify(msg.blocks);
    for (const s of ["*DAG:* alert_fail", "*Task:* boom", "*Logical date:* 2024-03-01T00:00:00.000Z", "boom: the input file is corrupt", `<https://runnel.test/runs/${runId}?ti=${ti!.id}|Open in Runnel>`]) expect(blocks).toContain(s);

    const mail = smtp.emails.find((m) => m.headers.get("x-runnel-alert-id") === taskFailed!.id)!;
    expect(mail.headers.get("subject")).toBe("[Runnel] task_failed: alert_fail.boom 2024-03-01");
    expect(mail.to.sort()).toEqual(["oncall@example.com", "ops@example.com"]);
    expect(mail.from).toBe("runnel@runnel.test");
    expect(mail.text).toContain("boom: the input file is corrupt");
    expect(mail.text).toContain(`Open in Runnel: https://runnel.test/runs/${runId}?ti=${ti!.id}`);

    const metric = await engine.rt.metrics.registry.getSingleMetricAsString("runnel_alert_deliveries_total");
    for (const c of CHANNELS) expect(metric).toMatch(new RegExp(`runnel_alert_deliveries_total\\{channel="${c}",result="sent"\\} [1-9]`));
  });

  it("an error-severity check that fails: check_failed (with the failed expectation), then the check task's task_failed and run_failed", async () => {
    const runId = await trigger(engine.rt, "alert_check", {}, nextDay());
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const events = await waitDelivered(env.db, { dag_run_id: runId }, 3, { channels: 3 });
    expect(events.map((e) => [e.event, e.task_id]).sort()).toEqual([
      ["check_failed", "dq"],
      ["run_failed", null],
      ["task_failed", "dq"],
    ]);
    const check = events.find((e) => e.event === "check_failed")!;
    expect(check.error).toContain("rowCount");
    expect(check.details).toMatchObject({ dataset: "warehouse.alert_dq", expectations: ["rowCount"] });
    expectOnEveryChannel(events.map((e) => e.id));
    expect(webhookBody(check.id)).toMatchObject({ event: "check_failed", dagId: "alert_check", taskId: "dq", details: { dataset: "warehouse.alert_dq" } });
  });

  it("deadline_missed (written by the leading scheduler; inserted here) reaches every channel once", async () => {
    const runId = await trigger(engine.rt, "alert_fail", {}, nextDay());
    await waitForRunEnd(env.db, runId);
    expectOnEveryChannel((await waitDelivered(env.db, { dag_run_id: runId }, 2, { channels: 3 })).map((e) => e.id));
    const run = await env.db("dag_runs").where({ id: runId }).first<{ run_id: string; logical_date: Date }>("run_id", "logical_date");
    await env.db("alert_events")
      .insert({ event: "deadline_missed", dag_id: "alert_fail", dag_run_id: runId, run_id: run!.run_id, logical_date: run!.logical_date, error: "run not finished 5m after its deadline", details: { kind: "run", deadlineAt: "2024-03-03T02:00:00.000Z", lateMs: 300_000 } });
    const [e] = await waitDelivered(env.db, { event: "deadline_missed" }, 1, { channels: 3 });
    expectOnEveryChannel([e!.id]);
    expect(webhookBody(e!.id)).toMatchObject({ event: "deadline_missed", dagId: "alert_fail", runId: run!.run_id, url: `https://runnel.test/runs/${runId}`, details: { kind: "run", lateMs: 300_000 } });
    expect(smtp.emails.find((m) => m.headers.get("x-runnel-alert-id") === e!.id)!.headers.get("subject")).toBe("[Runnel] deadline_missed: alert_fail 2024-03-03");
  });

  it("dead_letters_over: one event when a DAG's open dead letters pass the threshold, none while over, one again after falling back", async () => {
    const insertLetters = (n: number) =>
      env.db("dead_letters").insert(Array.from({ length: n }, (_, i) => ({ kind: "record", status: "open", dag_id: "letters_dag", task_id: i % 2 ? "boom" : "after", error: "bad row", payload: { i } }))).returning<Array<{ id: number }>>("id");
    const first = await insertLetters(3);
    // At the threshold (3): nothing. Over it (4): one event.
    expect(await thresholdCheck()).toEqual([]);
    await insertLetters(1);
    const [over] = await waitDelivered(env.db, { event: "dead_letters_over" }, 1, { channels: 3 });
    expect(over!.error).toBe("4 open dead letters (threshold 3)");
    expect(over!.details).toEqual({ open: 4, threshold: 3, byTask: { after: 3, boom: 1 } });
    expectOnEveryChannel([over!.id]);
    expect(webhookBody(over!.id)).toMatchObject({ event: "dead_letters_over", dagId: "letters_dag", runId: null, url: "https://runnel.test/dags/letters_dag" });
    expect(await env.db("alert_thresholds").select("dag_id", "event_id")).toEqual([{ dag_id: "letters_dag", event_id: over!.id }]);

    // Still over with more letters: no new event.
    await insertLetters(2);
    // Back at the threshold: the row goes, so the next crossing alerts again.
    await env.db("dead_letters").whereIn("id", first.map((r) => r.id)).update({ status: "discarded" });
    await waitFor("the threshold row to go", async () => ((await env.db("alert_thresholds").select("dag_id")).length === 0 ? true : undefined)).catch(async (err) => {
      console.log(await env.db("alert_thresholds"), await env.db("dead_letters").select("dag_id", "status").count("* as n").groupBy("dag_id", "status"));
      throw err;
    });
    expect(await eventsWhere(env.db, { event: "dead_letters_over" })).toHaveLength(1);
    await insertLetters(1);
    const both = await waitDelivered(env.db, { event: "dead_letters_over" }, 2, { channels: 3 });
    expect(both[1]!.error).toBe("4 open dead letters (threshold 3)");
    expectOnEveryChannel([both[1]!.id]);
  });

  it("a person's 'mark failed' writes no task_failed; the run that ends failed because of it does alert", async () => {
    const runId = await trigger(engine.rt, "alert_wait", {}, nextDay());
    const ti = await waitFor("wait to run", async () => {
      const row = await env.db("task_instances").where({ dag_run_id: runId, task_id: "wait", state: "running" }).first<{ id: number } | undefined>("id");
      return row?.id;
    });
    const marked = await markTaskInstance(env.db, Number(ti), "failed", false, engine.rt.dispatch, "alice");
    await engine.rt.dispatch.dispatch(marked);
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const events = await waitDelivered(env.db, { dag_run_id: runId }, 1, { channels: 3 });
    expect(events.map((e) => e.event)).toEqual(["run_failed"]);
    expectOnEveryChannel([events[0]!.id]);
  });

  it("a `dags test` run writes no alert events", async () => {
    const before = await env.db("alert_events").count<Array<{ n: string }>>("* as n");
    await testDag(env.config, "alert_fail", "2024-05-01", () => undefined);
    const run = await env.db("dag_runs").where({ dag_id: "alert_fail", run_type: "test" }).first<{ id: number }>("id");
    expect(run).toBeDefined();
    expect(await waitForRunEnd(env.db, run!.id)).toBe("failed");
    expect(await env.db("task_instances").where({ dag_run_id: run!.id, task_id: "boom" }).first("state")).toEqual({ state: "failed" });
    expect(await env.db("alert_events").where({ dag_run_id: run!.id })).toEqual([]);
    expect(await env.db("alert_events").count<Array<{ n: string }>>("* as n")).toEqual(before);
  });

  it("nothing was delivered twice: every event of this file reached each channel exactly once, and every delivery is sent", async () => {
    // Give the senders a few more passes to send anything twice if they would.
    const passes = await engine.rt.db("alert_deliveries").max<Array<{ m: Date }>>("updated_at as m");
    await waitFor("three more sender passes", async () => (Date.now() - new Date(passes[0]!.m).getTime() > 400 ? true : undefined), 5000, 100);
    const all = await env.db("alert_deliveries").select("state").groupBy("state").count<Array<{ state: string; count: number }>>("* as count");
    const undelivered = (await env.db("alert_events").select("id", "event", "dag_id", "task_id", "error")).filter((e: { id: string }) => !delivered.has(e.id));
    expect(undelivered).toEqual([]);
    expect(all.map((r) => [r.state, Number(r.count)])).toEqual([["sent", delivered.size * 3]]);
    expect([...hook.acceptedById().values()].every((n) => n === 1)).toBe(true);
    expect([...slack.acceptedById().values()].every((n) => n === 1)).toBe(true);
    expect([...smtp.byId().values()].every((n) => n === 1)).toBe(true);
    expect(hook.accepted()).toHaveLength(delivered.size);
    expect(smtp.emails).toHaveLength(delivered.size);
  });
});
