import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DeadLetterActionResponse, DeadLetterCountsResponse, DeadLetterDetail, DeadLetterListResponse } from "../../src/api/contract";
import { insertRecordDeadLetters } from "../../src/store/deadLetters";
import { runRunnel } from "../helpers/cli";
import { waitFor, waitForRunEnd } from "../helpers/engine";
import { startApiStack, type ApiStack } from "../helpers/apiServer";

const DLQ_DAGS = fileURLToPath(new URL("../fixtures/dlq_dags/", import.meta.url));

let s: ApiStack;
beforeAll(async () => {
  s = await startApiStack("apidlq", { config: { dagsFolder: DLQ_DAGS } });
});
afterAll(async () => {
  await s?.close();
});

async function act<T>(role: "viewer" | "operator" | "admin", path: string, body: unknown, method = "POST", status = 200): Promise<T> {
  const res = await s.call(role, path, { body, method });
  expect(res.status, `${path}: ${await res.clone().text()}`).toBe(status);
  return (await res.json()) as T;
}
const get = async <T>(path: string): Promise<T> => act<T>("viewer", path, undefined, "GET");

async function runOnce(logicalDate: string): Promise<number> {
  const { dagRunId } = await act<{ dagRunId: number }>("operator", "/api/dags/validated_orders/trigger", { logicalDate }, "POST", 201);
  expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
  return dagRunId;
}

async function partitionRows(ds: string): Promise<Array<{ order_id: string; amount: string }>> {
  return s.engine.rt.warehouse!.client.query("SELECT order_id, amount::text AS amount FROM warehouse.dlq_orders WHERE ds = $1 ORDER BY order_id", [ds]);
}

describe("dead-letter API", () => {
  it("replay with an edit: the corrected row lands in the output partition exactly once, and the letter is replayed", async () => {
    const dagRunId = await runOnce("2024-03-01");
    const list = await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&status=open");
    expect(list.deadLetters).toHaveLength(1);
    const letter = list.deadLetters[0]!;
    expect(letter).toMatchObject({ taskId: "load", recordKey: "o2", payload: { order_id: "o2", amount: -5 }, dagRunId, attempts: 1 });
    const ds = letter.partition!;
    expect((await partitionRows(ds)).map((r) => r.order_id)).toEqual(["o1", "o3"]);

    const counts = await get<DeadLetterCountsResponse>("/api/dead-letters/counts");
    expect(counts.counts).toEqual([{ dagId: "validated_orders", taskId: "load", kind: "record", status: "open", count: 1 }]);
    expect(counts.errors).toEqual([{ kind: "record", error: letter.error, count: 1 }]);
    const metrics = await (await fetch(`${s.base}/metrics`)).text();
    expect(metrics).toContain('runnel_dead_letters_open{dag_id="validated_orders"} 1');

    // Viewers read but cannot act.
    expect((await s.call("viewer", `/api/dead-letters/${letter.id}`, { method: "PATCH", body: { payload: {} } })).status).toBe(403);
    expect((await s.call("viewer", `/api/dead-letters/${letter.id}/replay`, { body: {} })).status).toBe(403);
    expect((await s.call("viewer", `/api/dead-letters/${letter.id}/discard`, { body: { reason: "x" } })).status).toBe(403);
    expect((await s.call("viewer", "/api/dead-letters/bulk", { body: { filter: {}, action: "replay" } })).status).toBe(403);
    expect((await s.call(null, "/api/dead-letters")).status).toBe(401);

    const edited = await act<DeadLetterDetail>("operator", `/api/dead-letters/${letter.id}`, { payload: { order_id: "o2", amount: 25 } }, "PATCH");
    expect(edited.payload).toEqual({ order_id: "o2", amount: 25 });
    expect(edited.history.map((h) => [h.event, h.actor])).toEqual([
      ["created", "task"],
      ["edited", "operator"],
    ]);

    const dry = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter.id}/replay`, { dryRun: true });
    expect(dry.results[0]!.cleared.map((c) => c.taskId)).toEqual(["load", "report"]);
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`)).status).toBe("open");

    const real = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter.id}/replay`, {});
    expect(real.results[0]!.cleared.map((c) => c.taskId)).toEqual(["load", "report"]);
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const after = await waitFor("replayed", async () => {
      const d = await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`);
      return d.status === "replayed" ? d : undefined;
    });
    expect(after.history.map((h) => h.event)).toEqual(["created", "edited", "replay_requested", "replayed"]);
    expect(await partitionRows(ds)).toEqual([
      { order_id: "o1", amount: "10.00" },
      { order_id: "o2", amount: "25.00" },
      { order_id: "o3", amount: "30.00" },
    ]);
    // Replaying again is refused (no longer open); nothing is open any more.
    expect((await s.call("operator", `/api/dead-letters/${letter.id}/replay`, { body: {} })).status).toBe(409);
    expect((await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&status=open")).deadLetters).toHaveLength(0);

    const audit = (await s.env.db("audit_log").select("action", "actor", "target").where("action", "like", "dead_letter.%").orderBy("id")) as Array<{ action: string; actor: string; target: string }>;
    expect(audit.map((a) => a.action)).toEqual(["dead_letter.edit", "dead_letter.replay"]);
    expect(audit.every((a) => a.actor === "operator" && a.target === `dead_letter:${letter.id}`)).toBe(true);
  });

  it("a replay still invalid goes back to the queue with attempts raised; discard drops it from the next rerun", async () => {
    const dagRunId = await runOnce("2024-03-02");
    const [letter] = (await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&status=open")).deadLetters;
    await act("admin", `/api/dead-letters/${letter!.id}/replay`, {});
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const requeued = await waitFor("requeued", async () => {
      const d = await get<DeadLetterDetail>(`/api/dead-letters/${letter!.id}`);
      return d.status === "open" && d.attempts === 2 ? d : undefined;
    });
    expect(requeued.history.map((h) => h.event)).toEqual(["created", "replay_requested", "requeued"]);

    expect((await s.call("operator", `/api/dead-letters/${letter!.id}/discard`, { body: {} })).status).toBe(400);
    const discarded = await act<DeadLetterActionResponse>("operator", `/api/dead-letters/${letter!.id}/discard`, { reason: "test order" });
    expect(discarded.results[0]!.ok).toBe(true);
    const d = await get<DeadLetterDetail>(`/api/dead-letters/${letter!.id}`);
    expect(d.status).toBe("discarded");
    expect(d.history.at(-1)).toMatchObject({ event: "discarded", actor: "operator", details: { reason: "test order" } });
    // A rerun drops the discarded record instead of opening a new letter for it.
    await act("operator", `/api/runs/${dagRunId}/clear`, { taskIds: ["load"], downstream: true });
    expect(await waitForRunEnd(s.env.db, dagRunId)).toBe("success");
    const letters = (await get<DeadLetterListResponse>(`/api/dead-letters?dagId=validated_orders&partition=${letter!.partition}`)).deadLetters;
    expect(letters.map((l) => l.status)).toEqual(["discarded"]);
  });

  it("lists with filters and a cursor, and bulk-discards by filter after a dry run", async () => {
    await insertRecordDeadLetters(
      s.env.db,
      ["a", "b", "c"].map((k) => ({ dagId: "other_dag", taskId: "t", taskInstanceId: null, dagRunId: null, tryNumber: 1, partition: "p1", recordKey: k, payload: { k }, error: `bad ${k}`, issues: [] })),
    );
    const p1 = await get<DeadLetterListResponse>("/api/dead-letters?dagId=other_dag&limit=2");
    expect(p1.deadLetters.map((d) => d.recordKey)).toEqual(["c", "b"]);
    const p2 = await get<DeadLetterListResponse>(`/api/dead-letters?dagId=other_dag&limit=2&cursor=${p1.nextCursor}`);
    expect(p2.deadLetters.map((d) => d.recordKey)).toEqual(["a"]);
    expect(p2.nextCursor).toBeNull();
    expect((await get<DeadLetterListResponse>("/api/dead-letters?q=BAD%20B")).deadLetters.map((d) => d.recordKey)).toEqual(["b"]);
    expect((await get<DeadLetterListResponse>("/api/dead-letters?dagId=other_dag&olderThan=2000-01-01")).deadLetters).toHaveLength(0);
    expect((await s.call("viewer", "/api/dead-letters?status=nope")).status).toBe(400);
    expect((await s.call("viewer", "/api/dead-letters/999999")).status).toBe(404);

    // A letter without a run cannot be replayed.
    const noRun = await act<DeadLetterActionResponse>("operator", "/api/dead-letters/bulk", { filter: { dagId: "other_dag" }, action: "replay", dryRun: true });
    expect(noRun.results.every((r) => !r.ok)).toBe(true);
    expect((await s.call("operator", "/api/dead-letters/bulk", { body: { filter: { dagId: "other_dag" }, action: "discard" } })).status).toBe(400);
    const dry = await act<DeadLetterActionResponse>("operator", "/api/dead-letters/bulk", { filter: { dagId: "other_dag", q: "bad" }, action: "discard", reason: "noise", dryRun: true });
    expect(dry.results.map((r) => r.ok)).toEqual([true, true, true]);
    expect((await get<DeadLetterListResponse>("/api/dead-letters?dagId=other_dag&status=open")).deadLetters).toHaveLength(3);
    const real = await act<DeadLetterActionResponse>("operator", "/api/dead-letters/bulk", { filter: { dagId: "other_dag" }, action: "discard", reason: "noise" });
    expect(real.results.map((r) => r.ok)).toEqual([true, true, true]);
    expect((await get<DeadLetterListResponse>("/api/dead-letters?dagId=other_dag&status=discarded")).deadLetters).toHaveLength(3);
    const audit = await s.env.db("audit_log").where({ action: "dead_letter.bulk_discard" });
    expect(audit).toHaveLength(1);
  });

  it("CLI: dlq list, show, replay --dry-run and discard by filter", async () => {
    const dagRunId = await runOnce("2024-03-05");
    const letter = (await get<DeadLetterListResponse>("/api/dead-letters?dagId=validated_orders&status=open")).deadLetters[0]!;
    const runnel = (...args: string[]) => runRunnel(s.env.childEnv, ...args);
    const list = await runnel("dlq", "list", "--dag", "validated_orders", "--status", "open", "--json");
    expect(list.code, list.stderr).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ id: number }>).map((d) => d.id)).toEqual([letter.id]);
    const show = await runnel("dlq", "show", String(letter.id));
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ id: letter.id, payload: { order_id: "o2", amount: -5 }, history: [{ event: "created" }] });
    const dry = await runnel("dlq", "replay", String(letter.id), "--dry-run", "--json");
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as DeadLetterActionResponse).results[0]!.cleared.map((c) => c.taskId)).toEqual(["load", "report"]);
    expect((await s.call("viewer", `/api/runs/${dagRunId}`).then((r) => r.json())) as { state: string }).toMatchObject({ state: "success" });
    expect((await runnel("dlq", "discard", "--reason", "x")).code).not.toBe(0);
    const discard = await runnel("dlq", "discard", "--dag", "validated_orders", "--partition", letter.partition!, "--reason", "cli test");
    expect(discard.code, discard.stderr).toBe(0);
    expect((await get<DeadLetterDetail>(`/api/dead-letters/${letter.id}`)).status).toBe("discarded");
    expect(await s.env.db("audit_log").where({ action: "dead_letter.bulk_discard" }).whereLike("actor", "cli%")).toHaveLength(1);
  });
});
