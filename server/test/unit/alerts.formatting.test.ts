import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { alertUrl, buildAlertPayload, shortDate } from "../../src/alerts/alertPayload";
import { retryDelayMs } from "../../src/alerts/alertSender";
import { alertEmail, smtpOptions } from "../../src/alerts/channels/email";
import { slackMessage } from "../../src/alerts/channels/slack";
import { signBody, webhookRequest } from "../../src/alerts/channels/webhook";
import { callbackChannel, callbackChannelsFor, callbackContext, parseCallbackChannel } from "../../src/alerts/dagCallbacks";
import { formatProblems, validateDag } from "../../src/dags/validateDag";
import { serializeDag } from "../../src/dags/serializeDag";
import type { CompiledSchedule, ScheduleSpec } from "../../src/schedule/index";
import { defineDag } from "../../src/sdk/defineDag";
import { email, slack, webhook } from "../../src/sdk/notify";
import type { AlertEventRow } from "../../src/store/alertOutbox";

const PUBLIC = "https://runnel.example.com/";

function eventRow(over: Partial<AlertEventRow> = {}): AlertEventRow {
  return {
    id: "0b6f6f2e-5d5c-4b8e-9a34-2c7b0f6f1a11",
    seq: 7,
    event: "task_failed",
    dagId: "sales",
    dagRunId: 42,
    runId: "manual__2024-01-01T00:00:00+00:00",
    logicalDate: new Date("2024-01-01T00:00:00Z"),
    taskInstanceId: 314,
    taskId: "extract",
    tryNumber: 3,
    error: "ECONNRESET <b>talking</b> to s3 & co",
    details: {},
    occurredAt: new Date("2024-01-02T03:04:05.678Z"),
    dataIntervalStart: new Date("2024-01-01T00:00:00Z"),
    dataIntervalEnd: new Date("2024-01-02T00:00:00Z"),
    ...over,
  };
}

const okCompiler = (spec: ScheduleSpec): CompiledSchedule => ({ spec, cron: spec.schedule, startDate: null, endDate: null, timezone: spec.timezone });

describe("alert payload", () => {
  it("carries every documented field, taskId only for task events, and links the run page with the task selected", () => {
    const p = buildAlertPayload(eventRow(), PUBLIC);
    expect(p).toEqual({
      id: "0b6f6f2e-5d5c-4b8e-9a34-2c7b0f6f1a11",
      event: "task_failed",
      dagId: "sales",
      runId: "manual__2024-01-01T00:00:00+00:00",
      logicalDate: "2024-01-01T00:00:00.000Z",
      taskId: "extract",
      tryNumber: 3,
      error: "ECONNRESET <b>talking</b> to s3 & co",
      url: "https://runnel.example.com/runs/42?ti=314",
      occurredAt: "2024-01-02T03:04:05.678Z",
      details: {},
    });
    const run = buildAlertPayload(eventRow({ event: "run_failed", taskId: null, taskInstanceId: null, tryNumber: null }), PUBLIC);
    expect("taskId" in run).toBe(false);
    expect(run.url).toBe("https://runnel.example.com/runs/42");
  });

  it("links the DAG page when there is no run (dead_letters_over), the Alerts page when there is no DAG", () => {
    expect(alertUrl(PUBLIC, { dagId: "sales ops", dagRunId: null, taskInstanceId: null })).toBe("https://runnel.example.com/dags/sales%20ops");
    expect(alertUrl("http://h:8080", { dagId: null, dagRunId: null, taskInstanceId: null })).toBe("http://h:8080/alerts");
  });

  it("shortens logical dates for subjects", () => {
    expect(shortDate("2024-01-01T00:00:00.000Z")).toBe("2024-01-01");
    expect(shortDate("2024-01-01T06:30:00.000Z")).toBe("2024-01-01T06:30Z");
    expect(shortDate("2024-01-01T06:30:15.000Z")).toBe("2024-01-01T06:30:15Z");
    expect(shortDate(null)).toBe("");
  });
});

describe("webhook signature", () => {
  it("is sha256=<hex HMAC-SHA256> of the exact body bytes (RFC 4231-style known vector)", () => {
    expect(signBody("key", "The quick brown fox jumps over the lazy dog")).toBe("sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
  });

  it("signs the body that is sent, and sends Runnel-Alert-Id; no signature without a secret", () => {
    const p = buildAlertPayload(eventRow({ error: "naïve — ünïcode" }), PUBLIC);
    const signed = webhookRequest(p, "s3cr3t");
    expect(JSON.parse(signed.body)).toEqual(p);
    const expected = createHmac("sha256", "s3cr3t").update(Buffer.from(signed.body, "utf8")).digest("hex");
    expect(signed.headers).toEqual({ "Runnel-Alert-Id": p.id, "Runnel-Signature": `sha256=${expected}` });
    expect(webhookRequest(p, null).headers).toEqual({ "Runnel-Alert-Id": p.id });
  });
});

describe("Slack message", () => {
  it("names the event, DAG, task, logical date and error, links the run, and escapes user text", () => {
    const m = slackMessage(buildAlertPayload(eventRow(), PUBLIC));
    expect(m.text).toContain("task_failed: sales.extract 2024-01-01");
    expect(m.text).toContain("https://runnel.example.com/runs/42?ti=314");
    const all = JSON.stringify(m.blocks);
    for (const s of ["*DAG:* sales", "*Task:* extract", "*Logical date:* 2024-01-01T00:00:00.000Z", "*Try:* 3", "<https://runnel.example.com/runs/42?ti=314|Open in Runnel>"]) expect(all).toContain(s);
    expect(all).toContain("ECONNRESET &lt;b&gt;talking&lt;/b&gt; to s3 &amp; co");
    expect(all).not.toContain("<b>");
    expect(m.blocks[0]).toMatchObject({ type: "header" });
  });

  it("keeps a long error under Slack's section limit", () => {
    const m = slackMessage(buildAlertPayload(eventRow({ error: "x".repeat(10_000) }), PUBLIC));
    for (const b of m.blocks) if (b.type === "section") expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });
});

describe("alert email", () => {
  it("has the subject, the facts, the link and the alert id in a header", () => {
    const p = buildAlertPayload(eventRow(), PUBLIC);
    const m = alertEmail(p, "runnel@example.com", ["ops@example.com"]);
    expect(m.subject).toBe("[Runnel] task_failed: sales.extract 2024-01-01");
    expect(m.headers).toEqual({ "X-Runnel-Alert-Id": p.id });
    expect(m.messageId).toBe(`<${p.id}@runnel.alerts>`);
    for (const s of ["DAG: sales", "Task: extract", "Logical date: 2024-01-01T00:00:00.000Z", "Try: 3", "ECONNRESET <b>talking</b> to s3 & co", "Open in Runnel: https://runnel.example.com/runs/42?ti=314", `Alert id: ${p.id}`]) {
      expect(m.text).toContain(s);
    }
    const dl = alertEmail(buildAlertPayload(eventRow({ event: "dead_letters_over", dagRunId: null, runId: null, logicalDate: null, taskId: null, taskInstanceId: null, tryNumber: null, error: "123 open dead letters (threshold 100)" }), PUBLIC), "a@b.c", ["d@e.f"]);
    expect(dl.subject).toBe("[Runnel] dead_letters_over: sales");
  });

  it("reads the SMTP URL: TLS for smtps, credentials decoded, timeouts set", () => {
    expect(smtpOptions("smtps://me%40x.com:p%3Ass@mail.example.com")).toMatchObject({ host: "mail.example.com", port: 465, secure: true, auth: { user: "me@x.com", pass: "p:ss" }, connectionTimeout: 10_000, socketTimeout: 10_000 });
    expect(smtpOptions("smtp://127.0.0.1:2525", 500)).toMatchObject({ port: 2525, secure: false, auth: undefined, greetingTimeout: 500 });
  });
});

describe("retry delays", () => {
  it("double from the base up to the cap, spread by the jitter", () => {
    const o = { retryBaseMs: 2000, retryCapMs: 300_000, jitter: 0.2 };
    expect(retryDelayMs(1, o, () => 0.5)).toBe(2000);
    expect(retryDelayMs(3, o, () => 0.5)).toBe(8000);
    expect(retryDelayMs(50, o, () => 0.5)).toBe(300_000);
    expect(retryDelayMs(1, o, () => 0)).toBeCloseTo(1600);
    expect(retryDelayMs(1, o, () => 0.999999)).toBeLessThanOrEqual(2400);
  });
});

describe("DAG-file callbacks", () => {
  const noop = () => undefined;
  const dag = defineDag({ id: "cb", onFailure: noop, onRetry: [noop, slack("https://hooks.slack.com/services/x")], onSuccess: noop }, (d) => {
    d.task("a.b", { onFailure: [webhook("https://example.com/h"), noop], onSuccess: noop, run: () => 1 });
    d.task("plain", { run: () => 1 });
  });

  it("names each callback as a channel and finds it again (task ids may contain dots)", () => {
    const ref = { taskId: "a.b", hook: "onFailure" as const, index: 1 };
    expect(callbackChannel(ref)).toBe("callback:task.a.b.onFailure[1]");
    expect(parseCallbackChannel("callback:task.a.b.onFailure[1]")).toEqual(ref);
    expect(parseCallbackChannel("callback:dag.onRetry[0]")).toEqual({ taskId: null, hook: "onRetry", index: 0 });
    expect(parseCallbackChannel("webhook")).toBeNull();
  });

  it("maps events to hooks: task events to the task's hooks (retries also to the DAG's), run events to the DAG's", () => {
    expect(callbackChannelsFor(dag, { event: "task_failed", taskId: "a.b" })).toEqual(["callback:task.a.b.onFailure[0]", "callback:task.a.b.onFailure[1]"]);
    expect(callbackChannelsFor(dag, { event: "task_failed", taskId: "plain" })).toEqual([]);
    expect(callbackChannelsFor(dag, { event: "task_retry", taskId: "plain" })).toEqual(["callback:dag.onRetry[0]", "callback:dag.onRetry[1]"]);
    expect(callbackChannelsFor(dag, { event: "task_succeeded", taskId: "a.b" })).toEqual(["callback:task.a.b.onSuccess[0]"]);
    expect(callbackChannelsFor(dag, { event: "run_failed", taskId: null })).toEqual(["callback:dag.onFailure[0]"]);
    expect(callbackChannelsFor(dag, { event: "run_succeeded", taskId: null })).toEqual(["callback:dag.onSuccess[0]"]);
    expect(callbackChannelsFor(dag, { event: "check_failed", taskId: "a.b" })).toEqual([]);
    expect(callbackChannelsFor(dag, { event: "deadline_missed", taskId: null })).toEqual([]);
  });

  it("gives a callback the run's interval, the task, the try and the error", () => {
    const e = eventRow();
    const ctx = callbackContext(e, buildAlertPayload(e, PUBLIC));
    expect(ctx).toEqual({
      event: "task_failed",
      alertId: e.id,
      dagId: "sales",
      runId: e.runId,
      logicalDate: e.logicalDate,
      dataInterval: { start: e.dataIntervalStart, end: e.dataIntervalEnd },
      taskId: "extract",
      tryNumber: 3,
      error: e.error,
      url: "https://runnel.example.com/runs/42?ti=314",
      occurredAt: e.occurredAt,
      details: {},
    });
  });

  it("serializes which callback-only events runs and tasks must write, and nothing for DAGs without callbacks", () => {
    const g = serializeDag(dag, okCompiler({ schedule: null, timezone: "UTC", startDate: null, endDate: null, catchup: false }));
    expect(g.notifyOn).toEqual(["run_succeeded"]);
    expect(g.tasks.find((t) => t.id === "a.b")?.notifyOn).toEqual(["task_succeeded", "task_retry"]);
    expect(g.tasks.find((t) => t.id === "plain")?.notifyOn).toEqual(["task_retry"]);
    const bare = defineDag({ id: "bare" }, (d) => void d.task("t", { run: () => 1 }));
    const gb = serializeDag(bare, okCompiler({ schedule: null, timezone: "UTC", startDate: null, endDate: null, catchup: false }));
    expect("notifyOn" in gb).toBe(false);
    expect("notifyOn" in gb.tasks[0]!).toBe(false);
  });

  it("makes a notifier without a destination, or a callback that is not one, an import error naming the DAG, task and hook", () => {
    const broken = defineDag({ id: "noisy", onSuccess: slack(undefined), onRetry: [() => undefined, "call me" as never] }, (d) => {
      d.task("load", { onFailure: webhook(""), onDeadlineMissed: email(undefined), run: () => 1 });
      d.task("mail", { onFailure: email("ops@example.com", { smtpUrl: "http://nope" }), run: () => 1 });
    });
    const result = validateDag(broken, okCompiler);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems;
    expect(problems).toEqual([
      "onSuccess: slack(url) needs a URL, got undefined (is the environment variable set?)",
      'onRetry[1] must be a function, a notifier from "runnel/notify" (webhook, slack, email) or a list of them, got "call me"',
      'task "load": onFailure: webhook(url) needs a URL, got an empty string',
      'task "load": onDeadlineMissed: email(to) needs at least one address, got none (is the environment variable set?)',
      'task "mail": onFailure: email(to, { smtpUrl }) needs an smtp:// or smtps:// URL, got "http://nope"',
    ]);
    expect(formatProblems("noisy", problems)).toContain('DAG "noisy" has 5 problems');
    expect(validateDag(dag, okCompiler).ok).toBe(true);
  });
});
