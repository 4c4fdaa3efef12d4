import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDag } from "../../src/cli/testRuns";
import { RunType } from "../../src/model/states";
import { admitReadyTasks } from "../../src/scheduler/admitReadyTasks";
import { withConn } from "../../src/store/pgConn";
import { startRunNow } from "../../src/store/runControl";
import { createRun } from "../../src/store/runs";
import { resolvePending } from "../../src/store/taskInstances";
import { createEngineEnv, startEngine, trigger, type Engine, type EngineEnv } from "../helpers/engine";

// `runnel dags test` runs its test run in the CLI's process while schedulers and workers may be
// running on the same database: neither side may take the other's task instances.

const DAGS = fileURLToPath(new URL("../fixtures/dispatch_dags/", import.meta.url));

let env: EngineEnv;
let engine: Engine;
beforeAll(async () => {
  env = await createEngineEnv("testiso", { dagsFolder: DAGS });
  engine = await startEngine(env.config, { scheduler: false, worker: false });
});
afterAll(async () => {
  await engine?.close();
  await env?.drop();
});

const statesOf = async (dagRunId: number): Promise<Array<{ task_id: string; state: string; try_number: number }>> =>
  env.db("task_instances").where({ dag_run_id: dagRunId }).select("task_id", "state", "try_number").orderBy("task_id");

describe("a dags test run and the schedulers", () => {
  it("a scheduler's sweep leaves the pending tasks of a test run to the CLI", async () => {
    const loaded = engine.rt.registry.get("capped_fan")!;
    const t = new Date("2024-05-01T00:00:00Z");
    const dagRunId = (await createRun(env.db, {
      dagId: "capped_fan",
      runId: `test__${t.toISOString()}__1`,
      runType: RunType.test,
      logicalDate: t,
      dataIntervalStart: t,
      dataIntervalEnd: t,
      versionId: engine.rt.registry.versionId("capped_fan")!,
      graph: loaded.serialized,
    }))!;
    await startRunNow(env.db, dagRunId);
    await admitReadyTasks({ db: env.db, dispatch: engine.rt.dispatch }, { sweepAll: true });
    expect((await statesOf(dagRunId)).map((r) => r.state)).toEqual(["pending", "pending", "pending", "pending"]);
  });

  it("the CLI never admits (and runs) a real run's scheduled tasks", async () => {
    const realRunId = await trigger(engine.rt, "capped");
    await startRunNow(env.db, realRunId);
    // As a scheduler's admission leaves a capped DAG's ready work: scheduled, waiting for a slot.
    await withConn(env.db, (conn) => resolvePending(conn, { kind: "runs", dagRunIds: [realRunId] }, () => false));
    const before = await statesOf(realRunId);
    expect(before.map((r) => r.state)).toEqual(["scheduled", "scheduled", "scheduled"]);

    const lines: string[] = [];
    const state = await testDag(env.config, "capped_fan", "2024-05-02", (l) => lines.push(l));
    expect(state, lines.join("\n")).toBe("success");
    expect(await statesOf(realRunId)).toEqual(before);
    const attempts = await env.db("task_attempts as a").join("task_instances as t", "t.id", "a.task_instance_id").where({ "t.dag_run_id": realRunId }).count<{ n: number }[]>("* as n");
    expect(attempts).toEqual([{ n: 0 }]);
  });
});
