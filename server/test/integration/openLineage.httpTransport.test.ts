import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLineageEndpoint, type RunnelConfig } from "../../src/config/config";
import type { RunEvent } from "../../src/obs/openLineage/events";
import { createEngineEnv, startEngine, taskStates, trigger, waitForRunEnd, type EngineEnv } from "../helpers/engine";
import { runEventProblems } from "../helpers/openLineageSchema";

const OL_DAGS = fileURLToPath(new URL("../fixtures/openlineage_dags/", import.meta.url));

interface Received {
  method: string;
  url: string;
  contentType: string | undefined;
  event: RunEvent;
}

/** A stand-in for Marquez: records every POST and lets a test await the n-th one. */
class LineageReceiver {
  readonly received: Received[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.read(req).then((body) => {
        this.received.push({ method: req.method ?? "", url: req.url ?? "", contentType: req.headers["content-type"], event: JSON.parse(body) as RunEvent });
        res.writeHead(201).end();
        this.waiters = this.waiters.filter((w) => (this.received.length >= w.n ? (w.resolve(), false) : true));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `n` events have arrived. */
  until(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private async read(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

let env: EngineEnv;
const receiver = new LineageReceiver();

function withLineageUrl(url: string): RunnelConfig {
  return { ...env.config, openLineage: { url, file: null, namespace: "runnel", datasetNamespace: null } };
}

beforeAll(async () => {
  env = await createEngineEnv("ol_http", { dagsFolder: OL_DAGS });
  await env.db.raw("CREATE SCHEMA IF NOT EXISTS warehouse");
  await env.db.raw("CREATE TABLE warehouse.ol_orders (ds date NOT NULL, order_id text NOT NULL, amount numeric)");
  await env.db.raw("CREATE TABLE warehouse.ol_audit (ds date NOT NULL, note text)");
});

afterAll(async () => {
  await receiver.stop();
  await env?.drop();
});

describe("OpenLineage HTTP transport", () => {
  it("POSTs each event as JSON to <url>/api/v1/lineage, in order", async () => {
    const base = await receiver.start();
    const engine = await startEngine(withLineageUrl(openLineageEndpoint(base)));
    try {
      const runId = await trigger(engine.rt, "lineage_export", {}, new Date("2024-05-07T00:00:00Z"));
      expect(await waitForRunEnd(env.db, runId)).toBe("failed");
      // 4 tasks: START + end each, and flaky's second try: 10 events.
      await receiver.until(10);
    } finally {
      await engine.close();
    }
    expect(receiver.received).toHaveLength(10);
    for (const r of receiver.received) {
      expect({ method: r.method, url: r.url, contentType: r.contentType }).toEqual({ method: "POST", url: "/api/v1/lineage", contentType: "application/json" });
      expect(runEventProblems(r.event)).toEqual([]);
    }
    const load = receiver.received.filter((r) => r.event.job.name === "lineage_export.load_orders").map((r) => r.event);
    expect(load.map((e) => e.eventType)).toEqual(["START", "COMPLETE"]);
    expect(load[1]!.outputs.map((d) => d.name.split(".").slice(-1)[0])).toEqual(["ol_orders", "ol_audit"]);
    const sent = (await engine.rt.metrics.openLineageEvents.get()).values.find((v) => v.labels.transport === "http" && v.labels.result === "sent");
    expect(sent?.value).toBe(10);
  });

  it("does not fail or hold up tasks when the endpoint is down; the failures are counted", async () => {
    // A port that was just listening and is now closed: connections are refused.
    const down = new LineageReceiver();
    const base = await down.start();
    await down.stop();
    const engine = await startEngine(withLineageUrl(openLineageEndpoint(base)));
    let runId: number;
    try {
      runId = await trigger(engine.rt, "lineage_export", {}, new Date("2024-05-08T00:00:00Z"));
      expect(await waitForRunEnd(env.db, runId)).toBe("failed");
    } finally {
      await engine.close();
    }
    expect(await taskStates(env.db, runId)).toEqual({ load_orders: "success", summarize: "success", flaky: "success", explode: "failed" });
    expect(down.received).toHaveLength(0);
    const values = (await engine.rt.metrics.openLineageEvents.get()).values;
    const count = (result: string) => values.find((v) => v.labels.transport === "http" && v.labels.result === result)?.value ?? 0;
    expect(count("failed")).toBe(10);
    expect(count("sent")).toBe(0);
  });
});
