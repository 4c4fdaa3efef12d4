import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config";
import { createEngineEnv, startEngine, taskStates, trigger, waitForRunEnd, type Engine, type EngineEnv } from "../helpers/engine";

const DAGS = fileURLToPath(new URL("../fixtures/log_cap_dags/", import.meta.url));
const CAP = 20_000;
const LINES = 5_000; // 100 bytes each: 500,000 bytes, 25 x the cap

let env: EngineEnv;
let engine: Engine;

interface StoredLine {
  id: number;
  level: string;
  message: string;
  fields: Record<string, unknown> | null;
  bytes: number;
}

async function logOf(dagRunId: number, taskId: string): Promise<StoredLine[]> {
  const rows: StoredLine[] = await env.db("task_logs as l")
    .join("task_instances as t", "t.id", "l.task_instance_id")
    .where({ "t.dag_run_id": dagRunId, "t.task_id": taskId, "l.try_number": 1 })
    .orderBy("l.id")
    .select("l.id", "l.level", "l.message", "l.fields", env.db.raw("octet_length(l.message) + coalesce(octet_length(l.fields::text), 0) AS bytes"));
  return rows.map((r) => ({ ...r, bytes: Number(r.bytes) }));
}

beforeAll(async () => {
  env = await createEngineEnv("logcap", { dagsFolder: DAGS, maxLogBytesPerTry: CAP });
  engine = await startEngine(env.config);
  expect(engine.rt.registry.importErrors()).toEqual([]);
});

afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("per-try log cap (RUNNEL_MAX_LOG_BYTES_PER_TRY)", () => {
  it("stores at most the cap, then one final line saying how much was dropped; the task still succeeds (in the worker and in a child process)", async () => {
    const runId = await trigger(engine.rt, "chatty", { lines: LINES });
    expect(await waitForRunEnd(env.db, runId, 60_000)).toBe("success");
    expect(await taskStates(env.db, runId)).toEqual({ inline_chatter: "success", child_chatter: "success" });
    for (const taskId of ["inline_chatter", "child_chatter"]) {
      const lines = await logOf(runId, taskId);
      const last = lines[lines.length - 1]!;
      const kept = lines.slice(0, -1);
      expect(kept.reduce((n, l) => n + l.bytes, 0), taskId).toBeLessThanOrEqual(CAP);
      expect(kept.length, taskId).toBeGreaterThan(100);
      expect(kept.every((l) => l.message.startsWith("line ")), taskId).toBe(true);
      // Exactly one summary, and it is the last line.
      expect(lines.filter((l) => /dropped/.test(l.message)), taskId).toHaveLength(1);
      const dropped = LINES - kept.length;
      expect(last.level).toBe("warn");
      expect(last.message, taskId).toMatch(new RegExp(`dropped ${dropped} lines \\(${dropped * 100} bytes\\)`));
      expect(last.message).toMatch(/RUNNEL_MAX_LOG_BYTES_PER_TRY/);
      expect(last.fields).toEqual({ droppedLines: dropped, droppedBytes: dropped * 100, maxLogBytesPerTry: CAP });
    }
  });

  it("a try under the cap stores every line and no summary", async () => {
    const runId = await trigger(engine.rt, "chatty", { lines: 50 });
    expect(await waitForRunEnd(env.db, runId, 60_000)).toBe("success");
    for (const taskId of ["inline_chatter", "child_chatter"]) {
      const lines = await logOf(runId, taskId);
      expect(lines.filter((l) => l.message.startsWith("line ")), taskId).toHaveLength(50);
      expect(lines.some((l) => /dropped/.test(l.message)), taskId).toBe(false);
    }
  });
});

describe("RUNNEL_MAX_LOG_BYTES_PER_TRY", () => {
  it("defaults to 10 MB and is validated", () => {
    expect(loadConfig({}).maxLogBytesPerTry).toBe(10_485_760);
    expect(loadConfig({ RUNNEL_MAX_LOG_BYTES_PER_TRY: "4096" }).maxLogBytesPerTry).toBe(4096);
    expect(() => loadConfig({ RUNNEL_MAX_LOG_BYTES_PER_TRY: "lots" })).toThrow(/RUNNEL_MAX_LOG_BYTES_PER_TRY="lots"/);
    expect(() => loadConfig({ RUNNEL_MAX_LOG_BYTES_PER_TRY: "0" })).toThrow(/RUNNEL_MAX_LOG_BYTES_PER_TRY/);
  });
});
