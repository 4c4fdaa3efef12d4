import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunDetailSchema, TaskInstanceDetailSchema, type RunDetail, type TaskInstanceDetail } from "../../src/api/contract";
import { trigger, waitFor, waitForRunEnd } from "../helpers/engine";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

const SENSOR_DAGS = fileURLToPath(new URL("../fixtures/sensor_dags/", import.meta.url));

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apisensor", { config: { dagsFolder: SENSOR_DAGS } });
});
afterAll(async () => {
  await s?.close();
});

const get = async <T>(path: string): Promise<T> => {
  const res = await s.call("viewer", path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
};

interface SensorRow {
  id: number;
  state: string;
  sensor_started_at: Date | null;
  next_try_at: Date | null;
  sensor_pokes: number;
}

describe("API: sensor progress on task instances", () => {
  it("shows waiting since, next poke at and the poke count of a rescheduled sensor, in the run and the task instance", async () => {
    const dagRunId = await trigger(s.engine.rt, "one_sensor", { scratch: s.env.scratch });
    // one_sensor pokes every 1.5 s: after its first poke it waits up_for_reschedule until the next.
    const row = await waitFor("the sensor to be waiting for its next poke", async () => {
      const r = (await s.env.db("task_instances").where({ dag_run_id: dagRunId, task_id: "wait" }).first()) as SensorRow | undefined;
      return r && r.state === "up_for_reschedule" && r.sensor_pokes >= 1 && r.next_try_at !== null ? r : undefined;
    });

    const run = RunDetailSchema.parse(await get<RunDetail>(`/api/runs/${dagRunId}`));
    const listed = run.taskInstances.find((t) => t.taskId === "wait");
    const detail = TaskInstanceDetailSchema.parse(await get<TaskInstanceDetail>(`/api/task-instances/${row.id}`));
    for (const ti of [listed, detail]) {
      expect(ti?.state).toBe("up_for_reschedule");
      expect(ti?.sensorStartedAt).toBe(row.sensor_started_at?.toISOString());
      expect(ti?.nextTryAt).toBe(row.next_try_at?.toISOString());
      expect(ti?.sensorPokes).toBe(row.sensor_pokes);
    }
    // The next poke comes after the wait began (one interval later).
    expect(Date.parse(detail.nextTryAt!)).toBeGreaterThan(Date.parse(detail.sensorStartedAt!));

    writeFileSync(join(s.env.scratch, "go"), "");
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const done = await get<TaskInstanceDetail>(`/api/task-instances/${row.id}`);
    expect(done.state).toBe("success");
    expect(done.nextTryAt).toBeNull();
    // Only the pokes that rescheduled count: the one that found the file does not.
    const final = (await s.env.db("task_instances").where({ id: row.id }).first()) as SensorRow;
    expect(done.sensorPokes).toBe(final.sensor_pokes);
    expect(done.sensorPokes).toBeGreaterThanOrEqual(row.sensor_pokes);
    expect(done.sensorStartedAt).toBe(row.sensor_started_at?.toISOString());
  });

  it("shows null and 0 for a task that is not a sensor", async () => {
    const dagRunId = await trigger(s.engine.rt, "quick");
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const run = RunDetailSchema.parse(await get<RunDetail>(`/api/runs/${dagRunId}`));
    expect(run.taskInstances.map((t) => [t.taskId, t.sensorStartedAt, t.nextTryAt, t.sensorPokes])).toEqual([["only", null, null, 0]]);
  });
});
