import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Runtime } from "../../src/runtime/runtime";
import type { Db } from "../../src/store/db";
import { trigger, waitForRunEnd } from "./engine";

/** lineage_a -> lineage_b -> lineage_c: each reads the previous one's partition and writes its own. */
export const LINEAGE_DAGS = fileURLToPath(new URL("../fixtures/lineage_dags/", import.meta.url));

/** The chain's runs: a1/b1/c1 on 2024-01-01, and bystanders a2/b2 on 2024-01-02. */
export interface ChainRuns {
  a1: number;
  b1: number;
  c1: number;
  a2: number;
  b2: number;
}

export const DAY1 = "2024-01-01";
export const DAY2 = "2024-01-02";

async function runToSuccess(rt: Runtime, db: Db, dagId: string, ds: string): Promise<number> {
  const id = await trigger(rt, dagId, {}, new Date(`${ds}T00:00:00Z`));
  expect(await waitForRunEnd(db, id), `${dagId} ${ds}`).toBe("success");
  return id;
}

/** Runs the chain for DAY1 (A, then B, then C) and A and B for DAY2, each to success. */
export async function runLineageChain(rt: Runtime, db: Db): Promise<ChainRuns> {
  const a1 = await runToSuccess(rt, db, "lineage_a", DAY1);
  const b1 = await runToSuccess(rt, db, "lineage_b", DAY1);
  const c1 = await runToSuccess(rt, db, "lineage_c", DAY1);
  const a2 = await runToSuccess(rt, db, "lineage_a", DAY2);
  const b2 = await runToSuccess(rt, db, "lineage_b", DAY2);
  return { a1, b1, c1, a2, b2 };
}

/** Task instance ids of a run by task id. */
export async function tiIds(db: Db, dagRunId: number): Promise<Record<string, number>> {
  const rows = await db("task_instances").where({ dag_run_id: dagRunId }).select<Array<{ id: number; task_id: string }>>("id", "task_id");
  return Object.fromEntries(rows.map((r) => [r.task_id, r.id]));
}
