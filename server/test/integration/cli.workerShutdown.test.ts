import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngineEnv, REPO_ROOT, RUNNEL_BIN, startEngine, trigger, waitFor, type Engine, type EngineEnv } from "../helpers/engine";

// `runnel worker` (a real child process) draining a try that does not finish: the first signal
// waits for it (up to the grace period), a second one ends the process at once.
let env: EngineEnv;
let engine: Engine | undefined;
beforeAll(async () => {
  env = await createEngineEnv("workersig");
});
afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

describe("runnel worker on SIGTERM then SIGINT", () => {
  it("ends within a few seconds of the second signal although a try is still running", { timeout: 90_000 }, async () => {
    engine = await startEngine(env.config, { worker: false });
    const child = spawn(process.execPath, [RUNNEL_BIN, "worker", "--concurrency", "2"], { cwd: REPO_ROOT, env: env.childEnv, stdio: ["ignore", "ignore", "pipe"] });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      const dagRunId = await trigger(engine.rt, "gated", { scratch: env.scratch });
      const runId = ((await env.db("dag_runs").where({ id: dagRunId }).first()) as { run_id: string }).run_id;
      const started = join(env.scratch, `${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.started`);
      await waitFor("gate to start in the worker process", async () => (existsSync(started) ? true : undefined), 45_000);

      child.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      const t0 = Date.now();
      child.kill("SIGINT");
      const code = await Promise.race([exited, new Promise<"running">((r) => setTimeout(() => r("running"), 5_000))]);
      expect(code, "runnel worker ignored the second signal").not.toBe("running");
      console.log(`runnel worker: exited ${Date.now() - t0} ms after the second signal (code ${String(code)})`);
      expect(code).toBe(1);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    }
  });
});
