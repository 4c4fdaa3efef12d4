import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, AlertChannelsResponse, AlertListResponse } from "../../src/api/contract";
import { configuredChannels } from "../../src/api/routes/alerts";
import { loadConfig } from "../../src/config/config";
import type { AlertEvent, DeliveryState } from "../../src/model/alerts";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

// The Alerts API against real Postgres: no scheduler runs, so no sender changes a delivery behind the
// test's back; events are written as the outbox's writers write them (rows in alert_events with
// their alert_deliveries).
const ALERTS = loadConfig({
  RUNNEL_ALERT_WEBHOOK_URL: "https://hooks.example.com:8443/runnel/T0KEN-IN-PATH?sig=s3cret",
  RUNNEL_ALERT_WEBHOOK_SECRET: "hmac-s3cret",
  RUNNEL_ALERT_SLACK_URL: "https://hooks.slack.com/services/T000/B000/XXXXSECRET",
}).alerts;

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apialerts", { scheduler: false, worker: false, config: { alerts: ALERTS } });
});
afterAll(async () => {
  await s?.close();
});

async function ok<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}
const get = async <T>(path: string): Promise<T> => ok<T>(await s.call("viewer", path));
/** Rows of `table` matching `where`. */
async function countRows(table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [row] = (await s.env.db(table).where(where).count("* as n")) as Array<{ n: string | number }>;
  return Number(row!.n);
}
const errorOf = async (res: Response): Promise<{ status: number; code: string; message: string }> => {
  const body = (await res.json()) as { error: { code: string; message: string } };
  return { status: res.status, ...body.error };
};

interface EventSpec {
  event: AlertEvent;
  dagId: string;
  taskId?: string;
  error?: string;
  deliveries: Array<{ channel: string; state: DeliveryState; attempts?: number; lastError?: string }>;
}

/** Writes one event with its deliveries, as the triggers and the sender's fan-out would; answers its id. */
async function addEvent(spec: EventSpec): Promise<string> {
  const [row] = (await s.env
    .db("alert_events")
    .insert({ event: spec.event, dag_id: spec.dagId, run_id: "manual__x", task_id: spec.taskId ?? null, try_number: spec.taskId ? 1 : null, error: spec.error ?? null, logical_date: new Date("2024-03-01T00:00:00Z"), fanned_out_at: new Date() })
    .returning("id")) as Array<{ id: string }>;
  for (const d of spec.deliveries) {
    await s.env.db("alert_deliveries").insert({ event_id: row!.id, channel: d.channel, state: d.state, attempts: d.attempts ?? 0, last_error: d.lastError ?? null, sent_at: d.state === "sent" ? new Date() : null });
  }
  return row!.id;
}

describe("alerts API", () => {
  const ids: string[] = [];
  beforeAll(async () => {
    // Oldest first: seq grows with each insert.
    ids.push(await addEvent({ event: "task_failed", dagId: "etl", taskId: "load", error: "boom <b>1</b>", deliveries: [{ channel: "webhook", state: "sent", attempts: 1 }, { channel: "slack", state: "failing", attempts: 3, lastError: "HTTP 500" }] }));
    ids.push(await addEvent({ event: "run_failed", dagId: "etl", error: "failed tasks: load (failed)", deliveries: [{ channel: "webhook", state: "sent", attempts: 1 }, { channel: "slack", state: "sent", attempts: 4 }] }));
    ids.push(await addEvent({ event: "task_failed", dagId: "reports", taskId: "render", deliveries: [{ channel: "webhook", state: "given_up", attempts: 9, lastError: "ECONNREFUSED" }] }));
    ids.push(await addEvent({ event: "deadline_missed", dagId: "reports", deliveries: [] }));
    for (let i = 0; i < 3; i++) ids.push(await addEvent({ event: "check_failed", dagId: "etl", taskId: "check", deliveries: [{ channel: "webhook", state: "pending" }, { channel: "callback:dag.onFailure[0]", state: "sent", attempts: 1 }] }));
  });

  it("lists every event newest first with its deliveries, in two queries whatever the number of events", async () => {
    const alertQueries: string[] = [];
    const onQuery = (q: { sql: string }): void => {
      if (/alert_/.test(q.sql)) alertQueries.push(q.sql);
    };
    s.engine.rt.db.on("query", onQuery);
    const list = await get<AlertListResponse>("/api/alerts");
    s.engine.rt.db.off("query", onQuery);
    expect(list.alerts.map((a) => a.id)).toEqual([...ids].reverse());
    expect(list.nextCursor).toBeNull();
    expect(alertQueries).toHaveLength(2);

    const first = list.alerts.at(-1)!;
    expect(first).toMatchObject({ event: "task_failed", dagId: "etl", taskId: "load", tryNumber: 1, runId: "manual__x", logicalDate: "2024-03-01T00:00:00.000Z", error: "boom <b>1</b>", details: {} });
    expect(first.deliveries.map((d) => [d.channel, d.state, d.attempts, d.lastError])).toEqual([
      ["webhook", "sent", 1, null],
      ["slack", "failing", 3, "HTTP 500"],
    ]);
    expect(first.deliveries[0]!.sentAt).not.toBeNull();
    expect(list.alerts.find((a) => a.event === "deadline_missed")!.deliveries).toEqual([]);
  });

  it("filters by DAG, event and delivery state, and pages with a cursor", async () => {
    const byDag = await get<AlertListResponse>("/api/alerts?dagId=reports");
    expect(byDag.alerts.map((a) => a.id)).toEqual([ids[3], ids[2]]);
    const byEvent = await get<AlertListResponse>("/api/alerts?event=task_failed");
    expect(byEvent.alerts.map((a) => a.id)).toEqual([ids[2], ids[0]]);
    const failing = await get<AlertListResponse>("/api/alerts?state=failing");
    expect(failing.alerts.map((a) => a.id)).toEqual([ids[0]]);
    const both = await get<AlertListResponse>("/api/alerts?dagId=etl&state=sent");
    expect(both.alerts.map((a) => a.event)).toEqual(["check_failed", "check_failed", "check_failed", "run_failed", "task_failed"]);
    expect((await get<AlertListResponse>("/api/alerts?dagId=etl&event=deadline_missed")).alerts).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: AlertListResponse = await get<AlertListResponse>(`/api/alerts?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.alerts.length).toBeLessThanOrEqual(3);
      seen.push(...page.alerts.map((a) => a.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("answers one alert by id: 404 for an unknown id, 400 for one that is not an alert id", async () => {
    const one = await get<Alert>(`/api/alerts/${ids[1]}`);
    expect(one).toMatchObject({ id: ids[1], event: "run_failed", error: "failed tasks: load (failed)" });
    expect(one.deliveries).toHaveLength(2);
    expect(await errorOf(await s.call("viewer", "/api/alerts/00000000-0000-4000-8000-000000000000"))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(await s.call("viewer", "/api/alerts/123"))).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("lists the configured channels by host and recipients, never their secrets", async () => {
    const res = await get<AlertChannelsResponse>("/api/alerts/channels");
    expect(res.channels).toEqual([
      { channel: "webhook", target: "hooks.example.com:8443" },
      { channel: "slack", target: "hooks.slack.com" },
    ]);
    expect(JSON.stringify(res)).not.toMatch(/T0KEN|s3cret|SECRET|services/);
    expect(configuredChannels(loadConfig({ RUNNEL_ALERT_EMAIL_TO: "ops@example.com, oncall@example.com", RUNNEL_SMTP_URL: "smtp://user:pw@mail:587" }).alerts)).toEqual([
      { channel: "email", target: "ops@example.com, oncall@example.com" },
    ]);
  });

  it("a test alert writes one fanned-out test event with one pending delivery to that channel, audited", async () => {
    const before = await countRows("alert_events");
    const alert = await ok<Alert>(await s.call("operator", "/api/alerts/test", { body: { channel: "webhook" } }), 201);
    expect(alert).toMatchObject({ event: "test", dagId: null, dagRunId: null, taskId: null, details: { requestedBy: "operator" } });
    expect(alert.fannedOutAt).not.toBeNull();
    expect(alert.deliveries).toHaveLength(1);
    expect(alert.deliveries[0]).toMatchObject({ channel: "webhook", state: "pending", attempts: 0, lastError: null, sentAt: null });
    expect(Date.parse(alert.deliveries[0]!.nextAttemptAt)).toBeLessThanOrEqual(Date.now() + 1000);
    expect(await countRows("alert_events")).toBe(before + 1);
    expect(await countRows("alert_deliveries", { event_id: alert.id })).toBe(1);

    // Newest first: the test event heads the list.
    expect((await get<AlertListResponse>("/api/alerts?limit=1")).alerts[0]!.id).toBe(alert.id);
    expect((await get<AlertListResponse>("/api/alerts?event=test")).alerts.map((a) => a.id)).toEqual([alert.id]);

    const audit = (await s.env.db("audit_log").where({ action: "alert.test" }).select("actor", "target", "details")) as Array<{ actor: string; target: string; details: unknown }>;
    expect(audit).toEqual([{ actor: "operator", target: `alert:${alert.id}`, details: { channel: "webhook" } }]);
  });

  it("refuses a test alert to a channel that is not configured, or not a channel, and writes nothing", async () => {
    const before = await countRows("alert_events", { event: "test" });
    expect(await errorOf(await s.call("operator", "/api/alerts/test", { body: { channel: "email" } }))).toMatchObject({ status: 400, code: "channel_not_configured", message: expect.stringContaining("RUNNEL_ALERT_EMAIL_TO") as unknown });
    expect(await errorOf(await s.call("operator", "/api/alerts/test", { body: { channel: "pager" } }))).toMatchObject({ status: 400, code: "invalid_request" });
    expect(await errorOf(await s.call("operator", "/api/alerts/test", { body: {} }))).toMatchObject({ status: 400, code: "invalid_request" });
    expect((await s.call("operator", "/api/alerts/test", { body: "webhook" })).status).toBe(400);
    expect(await countRows("alert_events", { event: "test" })).toBe(before);
  });

  it("resend puts a delivery back to pending, due now and unleased, keeping its attempts; 404 for an unknown one", async () => {
    const given = (await get<Alert>(`/api/alerts/${ids[2]}`)).deliveries[0]!;
    await s.env.db("alert_deliveries").where({ id: given.id }).update({ next_attempt_at: new Date(Date.now() + 3_600_000), leased_until: new Date(Date.now() + 60_000) });
    const alert = await ok<Alert>(await s.call("operator", `/api/alerts/deliveries/${given.id}/resend`, { method: "POST" }));
    expect(alert.id).toBe(ids[2]);
    const d = alert.deliveries[0]!;
    expect(d).toMatchObject({ id: given.id, state: "pending", attempts: 9, lastError: "ECONNREFUSED" });
    expect(Date.parse(d.nextAttemptAt)).toBeLessThanOrEqual(Date.now() + 1000);
    const row = (await s.env.db("alert_deliveries").where({ id: given.id }).first()) as { leased_until: Date | null };
    expect(row.leased_until).toBeNull();
    const audit = (await s.env.db("audit_log").where({ action: "alert.resend" }).select("actor", "target", "details")) as Array<{ actor: string; target: string; details: unknown }>;
    expect(audit).toEqual([{ actor: "operator", target: `alert_delivery:${given.id}`, details: { alertId: ids[2], channel: "webhook" } }]);

    expect(await errorOf(await s.call("operator", "/api/alerts/deliveries/999999/resend", { method: "POST" }))).toMatchObject({ status: 404, code: "not_found" });
    expect(await errorOf(await s.call("operator", "/api/alerts/deliveries/abc/resend", { method: "POST" }))).toMatchObject({ status: 400, code: "invalid_request" });
  });

  it("viewers read but cannot act; nobody reads without logging in; bad queries are 400s", async () => {
    const delivery = (await get<Alert>(`/api/alerts/${ids[0]}`)).deliveries[1]!;
    expect((await s.call("viewer", "/api/alerts/test", { body: { channel: "webhook" } })).status).toBe(403);
    expect((await s.call("viewer", `/api/alerts/deliveries/${delivery.id}/resend`, { method: "POST" })).status).toBe(403);
    expect((await get<Alert>(`/api/alerts/${ids[0]}`)).deliveries[1]!.state).toBe("failing");
    expect((await s.call("admin", "/api/alerts/test", { body: { channel: "slack" } })).status).toBe(201);
    for (const path of ["/api/alerts", "/api/alerts/channels", `/api/alerts/${ids[0]}`]) expect((await s.call(null, path)).status, path).toBe(401);
    for (const q of ["event=exploded", "state=lost", "limit=0", "limit=201", "limit=x", "cursor=not-a-cursor"]) {
      expect(await errorOf(await s.call("viewer", `/api/alerts?${q}`)), q).toMatchObject({ status: 400 });
    }
  });

  it("is in the OpenAPI document with each endpoint's role", async () => {
    const doc = await get<{ paths: Record<string, Record<string, { "x-runnel-role": string }>> }>("/api/openapi.json");
    expect(doc.paths["/api/alerts"]?.get?.["x-runnel-role"]).toBe("viewer");
    expect(doc.paths["/api/alerts/channels"]?.get?.["x-runnel-role"]).toBe("viewer");
    expect(doc.paths["/api/alerts/{id}"]?.get?.["x-runnel-role"]).toBe("viewer");
    expect(doc.paths["/api/alerts/test"]?.post?.["x-runnel-role"]).toBe("operator");
    expect(doc.paths["/api/alerts/deliveries/{id}/resend"]?.post?.["x-runnel-role"]).toBe("operator");
  });
});
