import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertSender } from "../../src/alerts/alertSender";
import { createMetrics } from "../../src/obs/metrics";
import { silentLogger } from "../../src/obs/logger";
import { alertsFromEnv, eventsWhere, HttpReceiver, startAlertEngine, waitDelivered } from "../helpers/alertReceivers";
import { createEngineEnv, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

/**
 * Delivery with retries (issue 10 item 2): a receiver down for a while gets each alert once it
 * answers again, with the failed attempts recorded; a delivery older than RUNNEL_ALERT_MAX_AGE is
 * given up; several senders at once never send a delivery twice.
 */
const DAGS = fileURLToPath(new URL("../fixtures/alert_dags/", import.meta.url));

describe("a receiver that answers 500 for 10 s, then 2xx", () => {
  let env: EngineEnv;
  let engine: Engine;
  let hook: HttpReceiver;
  beforeAll(async () => {
    hook = await HttpReceiver.start(500);
    env = await createEngineEnv("alertretry", { dagsFolder: DAGS, alerts: alertsFromEnv({ RUNNEL_ALERT_WEBHOOK_URL: hook.url }) });
    engine = await startAlertEngine(env.config, { intervalMs: 100, retryBaseMs: 500, retryCapMs: 3000 });
  });
  afterAll(async () => {
    await engine?.close();
    await hook?.close();
    await env?.drop();
  });

  it("gets each alert once after it is back; the failing attempts are recorded", { timeout: 60_000 }, async () => {
    const runId = await trigger(engine.rt, "alert_fail", {}, new Date("2024-04-01T00:00:00Z"));
    expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    const t0 = Date.now();
    const failing = await waitFor("both deliveries failing", async () => {
      const events = await eventsWhere(env.db, { dag_run_id: runId });
      return events.length === 2 && events.every((e) => e.deliveries[0]?.state === "failing") ? events : undefined;
    });
    expect(failing.flatMap((e) => e.deliveries.map((d) => d.last_error))).toEqual(["HTTP 500: receiver down", "HTTP 500: receiver down"]);
    // Down for 10 s from the first failure, retried with backoff meanwhile.
    await waitFor("10 s of 500s", async () => (Date.now() - t0 >= 10_000 ? true : undefined), 15_000, 200);
    const refused = hook.requests.length;
    expect(refused).toBeGreaterThanOrEqual(4);
    expect(hook.accepted()).toEqual([]);
    hook.status = 200;

    const events = await waitDelivered(env.db, { dag_run_id: runId }, 2, { channels: 1, timeoutMs: 10_000 });
    for (const e of events) {
      expect(hook.acceptedById().get(e.id)).toBe(1);
      const [d] = e.deliveries;
      expect(d!.attempts).toBeGreaterThan(1);
      expect(d!.last_error).toBeNull();
      // Every attempt reached the receiver with the same id: attempts = requests for this id.
      expect(hook.requests.filter((r) => r.headers["runnel-alert-id"] === e.id)).toHaveLength(d!.attempts);
    }
    const counted = (result: string) => engine.rt.metrics.alertDeliveries.get().then((m) => m.values.find((v) => v.labels.channel === "webhook" && v.labels.result === result)?.value);
    expect(await counted("sent")).toBe(2);
    expect(await counted("failed")).toBe(hook.requests.filter((r) => r.status === 500).length);
  });
});

describe("senders on their own database", () => {
  let tdb: TestDatabase;
  let hook: HttpReceiver;
  beforeAll(async () => {
    tdb = await createTestDatabase("alertsend");
    hook = await HttpReceiver.start();
  });
  afterAll(async () => {
    await hook?.close();
    await tdb?.drop();
  });

  /** `n` run_failed events of a DAG nobody loaded (no callbacks), as the database triggers write them. */
  async function insertEvents(n: number, dagId: string): Promise<string[]> {
    const rows = await tdb.db("alert_events")
      .insert(Array.from({ length: n }, (_, i) => ({ event: "run_failed", dag_id: dagId, run_id: `manual__${i}`, logical_date: new Date(Date.UTC(2024, 0, 1 + i)), error: "run failed" })))
      .returning<Array<{ id: string }>>("id");
    return rows.map((r) => r.id);
  }

  function sender(alerts: ReturnType<typeof alertsFromEnv>, metrics = createMetrics()): AlertSender {
    // The DAGs are not loaded here: a zero grace sends their events at once, without callbacks.
    return new AlertSender({ db: tdb.db, dags: { get: () => undefined }, alerts, log: silentLogger(), metrics }, { intervalMs: 20, batchSize: 10, retryBaseMs: 100, retryCapMs: 400, unknownDagGraceMs: 0 });
  }

  it("three senders at once send each of 150 deliveries exactly once", { timeout: 60_000 }, async () => {
    const ids = await insertEvents(150, "many");
    const alerts = alertsFromEnv({ RUNNEL_ALERT_WEBHOOK_URL: hook.url });
    const metrics = [createMetrics(), createMetrics(), createMetrics()];
    const senders = metrics.map((m) => sender(alerts, m));
    for (const s of senders) s.start();
    try {
      await waitDelivered(tdb.db, { dag_id: "many" }, 150, { channels: 1 });
    } finally {
      await Promise.all(senders.map((s) => s.stop()));
    }
    const byId = hook.acceptedById();
    expect(hook.requests).toHaveLength(150);
    expect(ids.every((id) => byId.get(id) === 1)).toBe(true);
    // Each sender did part of the work (so they really ran at the same time).
    const sentBy = await Promise.all(metrics.map(async (m) => (await m.alertDeliveries.get()).values.find((v) => v.labels.result === "sent")?.value ?? 0));
    expect(sentBy.reduce((a, b) => a + b, 0)).toBe(150);
    expect(sentBy.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });

  it("gives a delivery up once its event is older than RUNNEL_ALERT_MAX_AGE", { timeout: 30_000 }, async () => {
    const down = await HttpReceiver.start(503);
    const metrics = createMetrics();
    // RUNNEL_ALERT_MAX_AGE counts in minutes at least; 2 s here.
    const s = sender({ ...alertsFromEnv({ RUNNEL_ALERT_WEBHOOK_URL: down.url, RUNNEL_ALERT_MAX_AGE: "1m" }), maxAgeMs: 2000 }, metrics);
    try {
      const [id] = await insertEvents(1, "old");
      s.start();
      const [e] = await waitDelivered(tdb.db, { id }, 1, { state: "given_up", channels: 1, timeoutMs: 15_000 });
      const d = e!.deliveries[0]!;
      expect(d.attempts).toBeGreaterThan(1);
      expect(d.last_error).toBe("HTTP 503: receiver down");
      expect(down.requests).toHaveLength(d.attempts);
      const row = await tdb.db("alert_deliveries as d").join("alert_events as e", "e.id", "d.event_id").where("e.id", id).first<{ age_ms: number }>(tdb.db.raw("extract(epoch FROM d.updated_at - e.occurred_at) * 1000 AS age_ms"));
      expect(Number(row!.age_ms)).toBeGreaterThanOrEqual(2000);
      expect((await metrics.alertDeliveries.get()).values.find((v) => v.labels.result === "given_up")?.value).toBe(1);
    } finally {
      await s.stop();
      await down.close();
    }
  });
});
