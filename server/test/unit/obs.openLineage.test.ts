import { describe, expect, it } from "vitest";
import { loadConfig, openLineageEndpoint } from "../../src/config/config";
import { silentLogger } from "../../src/obs/logger";
import { createMetrics } from "../../src/obs/metrics";
import { LineageEmitter } from "../../src/obs/openLineage/emitter";
import {
  buildRunEvent,
  dagRunRunId,
  lineageDataset,
  OPENLINEAGE_SCHEMA_URL,
  RUNNEL_PRODUCER,
  tryRunId,
  uuidV5,
  warehouseNaming,
  type RunEvent,
  type TryFacts,
} from "../../src/obs/openLineage/events";
import { endEventType, OpenLineageTryObserver } from "../../src/obs/openLineage/tryLineage";
import type { SerializedTask } from "../../src/model/graph";
import type { ClaimedTry } from "../../src/store/taskTries";
import { DeliveryError, type LineageTransport } from "../../src/obs/openLineage/transport";
import { runEventProblems } from "../helpers/openLineageSchema";

const naming = warehouseNaming("postgres://etl@wh.internal:6543/analytics", "warehouse");
const facts: TryFacts = {
  dagId: "customer_analytics",
  taskId: "extract_orders",
  taskInstanceId: 42,
  tryNumber: 1,
  dagRunId: 7,
  dataIntervalStart: new Date("2024-01-01T00:00:00Z"),
  dataIntervalEnd: new Date("2024-01-02T00:00:00Z"),
};

function event(overrides: Partial<Parameters<typeof buildRunEvent>[0]> = {}): RunEvent {
  return buildRunEvent({ eventType: "START", eventTime: new Date("2024-01-02T00:00:01.5Z"), namespace: "runnel", try: facts, inputs: [], outputs: [], ...overrides });
}

async function metricValue(metrics: ReturnType<typeof createMetrics>, labels: { transport: string; result: string }): Promise<number> {
  const metric = await metrics.openLineageEvents.get();
  return metric.values.find((v) => v.labels.transport === labels.transport && v.labels.result === labels.result)?.value ?? 0;
}

/** A promise with its resolve function outside. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class RecordingTransport implements LineageTransport {
  readonly kind = "file";
  readonly name = "memory";
  readonly sent: string[] = [];
  /** Deliver this many events of the next batch, then fail. */
  failAfter: number | undefined;

  async send(events: readonly RunEvent[]): Promise<void> {
    const deliver = this.failAfter ?? events.length;
    this.failAfter = undefined;
    this.sent.push(...events.slice(0, deliver).map((e) => `${e.job.name}:${e.eventType}`));
    if (deliver < events.length) throw new DeliveryError(deliver, new Error("connection refused"));
  }
}

describe("OpenLineage run ids", () => {
  it("are RFC 4122 name-based (v5) UUIDs, equal to Python's uuid5 for the same name", () => {
    expect(uuidV5("https://example.com")).toBe("4fd35a71-71ef-5a55-a9d9-aa75c889a6d0");
    expect(tryRunId("runnel", 42, 1)).toBe("72e8ab6e-dfb7-5996-bdfe-9c2560b758c3");
    expect(dagRunRunId("runnel", 7)).toBe("9319315a-d1d2-5b24-a40d-8bcfcc959eb0");
  });

  it("are stable for one try and differ between tries, task instances and namespaces", () => {
    expect(tryRunId("runnel", 42, 1)).toBe(tryRunId("runnel", 42, 1));
    const ids = new Set([tryRunId("runnel", 42, 1), tryRunId("runnel", 42, 2), tryRunId("runnel", 43, 1), tryRunId("other", 42, 1), dagRunRunId("runnel", 42)]);
    expect(ids.size).toBe(5);
  });
});

describe("lineageDataset", () => {
  it("names warehouse tables database.schema.table in the warehouse's postgres:// namespace", () => {
    expect(naming).toEqual({ warehouseNamespace: "postgres://wh.internal:6543", warehouseDatabase: "analytics", warehouseSchema: "warehouse" });
    expect(lineageDataset("raw.orders", naming)).toEqual({ namespace: "postgres://wh.internal:6543", name: "analytics.raw.orders" });
    expect(lineageDataset("orders", naming)).toEqual({ namespace: "postgres://wh.internal:6543", name: "analytics.warehouse.orders" });
    expect(warehouseNaming("postgres://h/db", "w", "prod-warehouse").warehouseNamespace).toBe("prod-warehouse");
    expect(warehouseNaming("postgres://h/db", "w").warehouseNamespace).toBe("postgres://h:5432");
  });

  it("names files by absolute path in namespace file, and other URIs by scheme://authority + path", () => {
    expect(lineageDataset("file:///data/out/report.csv", naming)).toEqual({ namespace: "file", name: "/data/out/report.csv" });
    expect(lineageDataset("s3://bucket/raw/orders", naming)).toEqual({ namespace: "s3://bucket", name: "/raw/orders" });
  });
});

describe("buildRunEvent", () => {
  it("builds a spec-valid START with job <dagId>.<taskId> and the DAG run as parent", () => {
    const e = event({ inputs: [lineageDataset("raw.orders", naming)] });
    expect(runEventProblems(e)).toEqual([]);
    expect(e).toMatchObject({
      eventType: "START",
      eventTime: "2024-01-02T00:00:01.500Z",
      producer: RUNNEL_PRODUCER,
      schemaURL: OPENLINEAGE_SCHEMA_URL,
      job: { namespace: "runnel", name: "customer_analytics.extract_orders" },
      run: {
        runId: tryRunId("runnel", 42, 1),
        facets: {
          parent: { run: { runId: dagRunRunId("runnel", 7) }, job: { namespace: "runnel", name: "customer_analytics" } },
          nominalTime: { nominalStartTime: "2024-01-01T00:00:00.000Z", nominalEndTime: "2024-01-02T00:00:00.000Z" },
        },
      },
      inputs: [{ namespace: "postgres://wh.internal:6543", name: "analytics.raw.orders" }],
      outputs: [],
    });
    expect(RUNNEL_PRODUCER).toMatch(/^https:\/\/github\.com\/runnel\/runnel\/tree\/\d+\.\d+\.\d+/);
    expect(e.run.facets.errorMessage).toBeUndefined();
  });

  it("adds an error message facet to FAIL, and the schema rejects what the spec requires", () => {
    const fail = event({ eventType: "FAIL", error: "boom" });
    expect(runEventProblems(fail)).toEqual([]);
    expect(fail.run.facets.errorMessage).toMatchObject({ message: "boom", programmingLanguage: "TypeScript" });
    // The validator is not vacuous: it catches a bad run id, a missing job name and a facet without _producer.
    const broken = JSON.parse(JSON.stringify(fail)) as { run: { runId: string; facets: { parent: Record<string, unknown> } }; job: Record<string, unknown> };
    broken.run.runId = "42-1";
    delete broken.job.name;
    delete broken.run.facets.parent._producer;
    expect(runEventProblems(broken)).toEqual(
      expect.arrayContaining(['/run/runId must match format "uuid"', "/job must have required property 'name'", "/run/facets/parent must have required property '_producer'"]),
    );
  });

  it("maps try ends to event types", () => {
    expect(["success", "skipped", "failed", "up_for_retry", "stale", "up_for_reschedule"].map((s) => endEventType(s as "success"))).toEqual([
      "COMPLETE",
      "COMPLETE",
      "FAIL",
      "FAIL",
      "ABORT",
      null,
    ]);
  });
});

describe("OpenLineageTryObserver", () => {
  const claim = {
    id: 42,
    dagRunId: 7,
    dagId: "customer_analytics",
    taskId: "extract_orders",
    tryNumber: 2,
    startDate: new Date("2024-01-02T00:00:01Z"),
    dataIntervalStart: facts.dataIntervalStart,
    dataIntervalEnd: facts.dataIntervalEnd,
  } as ClaimedTry;
  const task = { inputs: ["raw.orders"], outputs: ["warehouse.orders"] } as SerializedTask;

  function observe(writtenBy: () => Promise<string[]>): { observer: OpenLineageTryObserver; sent: RunEvent[]; emitter: LineageEmitter } {
    const sent: RunEvent[] = [];
    const transport: LineageTransport = { kind: "file", name: "memory", send: async (events) => void sent.push(...events) };
    const emitter = new LineageEmitter({ transports: [transport], log: silentLogger() });
    const observer = new OpenLineageTryObserver({ emitter, namespace: "runnel", naming, writtenBy, log: silentLogger(), clock: () => new Date("2024-01-02T00:00:09Z") });
    return { observer, sent, emitter };
  }

  it("reports a refused completion as ABORT, and nothing for a sensor that only released its slot", async () => {
    const { observer, sent, emitter } = observe(async () => []);
    observer.started(claim, task);
    observer.finished(claim, task, { state: "up_for_reschedule" });
    observer.finished(claim, task, { state: "stale" });
    await emitter.flush();
    expect(sent.map((e) => [e.eventType, e.eventTime, e.run.runId])).toEqual([
      ["START", "2024-01-02T00:00:01.000Z", tryRunId("runnel", 42, 2)],
      ["ABORT", "2024-01-02T00:00:09.000Z", tryRunId("runnel", 42, 2)],
    ]);
  });

  it("adds the written datasets to COMPLETE, and falls back to the declared ones when they cannot be read", async () => {
    const ok = observe(async () => ["warehouse.orders", "file:///tmp/x.csv"]);
    ok.observer.finished(claim, task, { state: "success" });
    await ok.emitter.flush();
    expect(ok.sent[0]!.outputs).toEqual([
      { namespace: "postgres://wh.internal:6543", name: "analytics.warehouse.orders" },
      { namespace: "file", name: "/tmp/x.csv" },
    ]);
    const down = observe(() => Promise.reject(new Error("db down")));
    down.observer.finished(claim, task, { state: "success" });
    await down.emitter.flush();
    expect(down.sent.map((e) => [e.eventType, e.outputs.map((d) => d.name)])).toEqual([["COMPLETE", ["analytics.warehouse.orders"]]]);
  });
});

describe("LineageEmitter", () => {
  it("sends in emit order even when an earlier event is still being built", async () => {
    const transport = new RecordingTransport();
    const emitter = new LineageEmitter({ transports: [transport], log: silentLogger(), maxBatch: 1 });
    const slow = deferred<RunEvent | null>();
    emitter.emit(event({ eventType: "START" }));
    emitter.emit(slow.promise);
    emitter.emit(event({ eventType: "FAIL", try: { ...facts, taskId: "other" } }));
    const flushed = emitter.flush();
    slow.resolve(event({ eventType: "COMPLETE" }));
    await flushed;
    expect(transport.sent).toEqual(["customer_analytics.extract_orders:START", "customer_analytics.extract_orders:COMPLETE", "customer_analytics.other:FAIL"]);
  });

  it("drops and counts events past the buffer bound instead of growing without limit", async () => {
    const metrics = createMetrics();
    const transport = new RecordingTransport();
    const emitter = new LineageEmitter({ transports: [transport], log: silentLogger(), metrics, maxBuffered: 2, maxBatch: 1 });
    const gate = deferred<RunEvent | null>();
    // The first event is taken at once (the batch being built); two more fill the buffer.
    expect(emitter.emit(gate.promise)).toBe(true);
    expect(emitter.emit(event())).toBe(true);
    expect(emitter.emit(event())).toBe(true);
    expect(emitter.emit(event())).toBe(false);
    expect(emitter.pending).toBe(2);
    gate.resolve(null);
    await emitter.flush();
    expect(transport.sent).toHaveLength(2);
    expect(emitter.pending).toBe(0);
    expect(await metricValue(metrics, { transport: "buffer", result: "dropped" })).toBe(1);
    expect(await metricValue(metrics, { transport: "file", result: "sent" })).toBe(2);
  });

  it("logs and counts a failed delivery and a failed build, and goes on with the next events", async () => {
    const metrics = createMetrics();
    const transport = new RecordingTransport();
    const emitter = new LineageEmitter({ transports: [transport], log: silentLogger(), metrics });
    // A gate holds the first batch open so that the next three events form one batch.
    const gate = deferred<RunEvent | null>();
    emitter.emit(gate.promise);
    emitter.emit(event({ eventType: "START" }));
    emitter.emit(Promise.reject(new Error("db down")));
    emitter.emit(event({ eventType: "FAIL" }));
    transport.failAfter = 1;
    gate.resolve(null);
    await emitter.flush();
    emitter.emit(event({ eventType: "COMPLETE" }));
    await emitter.flush();
    expect(transport.sent).toEqual(["customer_analytics.extract_orders:START", "customer_analytics.extract_orders:COMPLETE"]);
    expect(await metricValue(metrics, { transport: "file", result: "failed" })).toBe(1);
    expect(await metricValue(metrics, { transport: "file", result: "sent" })).toBe(2);
    expect(await metricValue(metrics, { transport: "build", result: "failed" })).toBe(1);
  });
});

describe("OpenLineage configuration", () => {
  it("is off unless a URL or a file is set", () => {
    expect(loadConfig({}).openLineage).toBeNull();
    expect(loadConfig({ RUNNEL_OPENLINEAGE_NAMESPACE: "x" }).openLineage).toBeNull();
    expect(loadConfig({ RUNNEL_OPENLINEAGE_FILE: "/tmp/ol.jsonl" }).openLineage).toEqual({ url: null, file: "/tmp/ol.jsonl", namespace: "runnel", datasetNamespace: null });
    expect(() => loadConfig({ RUNNEL_OPENLINEAGE_URL: "ftp://x" })).toThrow(/RUNNEL_OPENLINEAGE_URL/);
  });

  it("posts to <url>/api/v1/lineage unless the URL already ends in it", () => {
    expect(openLineageEndpoint("http://marquez:5000")).toBe("http://marquez:5000/api/v1/lineage");
    expect(openLineageEndpoint("http://marquez:5000/")).toBe("http://marquez:5000/api/v1/lineage");
    expect(openLineageEndpoint("https://gw.example/ol/api/v1/lineage")).toBe("https://gw.example/ol/api/v1/lineage");
    expect(loadConfig({ RUNNEL_OPENLINEAGE_URL: "http://m:5000/prefix", RUNNEL_OPENLINEAGE_NAMESPACE: "prod" }).openLineage).toMatchObject({
      url: "http://m:5000/prefix/api/v1/lineage",
      namespace: "prod",
    });
  });
});
