import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsWhere, HttpReceiver, waitDelivered } from "../helpers/alertReceivers";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, startEngine, trigger, waitFor, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

/**
 * Never lose an alert (issue 10 item 2): every Runnel process (real `runnel scheduler` and
 * `runnel worker` processes) is SIGKILLed after the failure, while the receiver is down; a
 * scheduler started again delivers each alert once the receiver is back, exactly once.
 */
const DAGS = fileURLToPath(new URL("../fixtures/alert_dags/", import.meta.url));

let env: EngineEnv;
let control: Engine;
let hook: HttpReceiver;
const children: ChildProcess[] = [];

function runnel(command: "scheduler" | "worker", childEnv: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null>; output: () => string } {
  const child = spawn(process.execPath, [RUNNEL_BIN, command], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  children.push(child);
  const exited = new Promise<NodeJS.Signals | number | null>((r) => child.once("exit", (code, signal) => r(signal ?? code)));
  return { child, exited, output: () => out };
}

beforeAll(async () => {
  hook = await HttpReceiver.start(500);
  env = await createEngineEnv("alertkill", { dagsFolder: DAGS });
  // This process only records the DAGs and triggers the run: no scheduler, no worker, no sender.
  control = await startEngine(env.config, { scheduler: false, worker: false });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await control?.close();
  await hook?.close();
  await env?.drop();
});

describe("every Runnel process killed between the failure and the delivery", () => {
  it("delivers each alert once, after a scheduler is started again and the receiver is back", { timeout: 150_000 }, async () => {
    const childEnv = { ...env.childEnv, RUNNEL_DAGS_FOLDER: DAGS, RUNNEL_ALERT_WEBHOOK_URL: hook.url, RUNNEL_LOG_LEVEL: "warn" };
    const scheduler = runnel("scheduler", childEnv);
    const worker = runnel("worker", childEnv);
    const runId = await trigger(control.rt, "alert_fail", {}, new Date("2024-07-01T00:00:00Z"));
    expect(await waitForRunEnd(env.db, runId, 60_000)).toBe("failed");
    // The scheduler's sender has tried both alerts at least twice; the receiver refused each.
    const failing = await waitFor(
      "both alerts to fail twice",
      async () => {
        const events = await eventsWhere(env.db, { dag_run_id: runId });
        return events.length === 2 && events.every((e) => e.deliveries[0]?.state === "failing" && e.deliveries[0].attempts >= 2) ? events : undefined;
      },
      30_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nscheduler output:\n${scheduler.output()}`);
    });
    expect(failing.map((e) => e.event)).toEqual(["task_failed", "run_failed"]);

    scheduler.child.kill("SIGKILL");
    worker.child.kill("SIGKILL");
    expect(await scheduler.exited).toBe("SIGKILL");
    expect(await worker.exited).toBe("SIGKILL");
    expect(hook.accepted()).toEqual([]);
    const refused = hook.requests.length;

    hook.status = 200;
    const again = runnel("scheduler", childEnv);
    try {
      // A send cut off by the kill keeps its lease (60 s) before it is tried again.
      const events = await waitDelivered(env.db, { dag_run_id: runId }, 2, { channels: 1, timeoutMs: 100_000 });
      const byId = hook.acceptedById();
      for (const e of events) {
        expect(byId.get(e.id), `deliveries of ${e.event}`).toBe(1);
        expect(e.deliveries[0]!.attempts).toBeGreaterThan(2);
      }
      expect(hook.accepted()).toHaveLength(2);
      expect(hook.requests.length).toBeGreaterThan(refused);
      expect(JSON.parse(hook.accepted()[0]!.body)).toMatchObject({ dagId: "alert_fail", logicalDate: "2024-07-01T00:00:00.000Z" });
    } finally {
      again.child.kill("SIGTERM");
      await again.exited;
    }
  });
});
