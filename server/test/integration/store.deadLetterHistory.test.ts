import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterHistory, discardDeadLetter, editDeadLetterPayload, getDeadLetter, markReplayed, markReplayPending, requeueReplay } from "../../src/store/deadLetterActions";
import { insertRecordDeadLetters } from "../../src/store/deadLetters";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

let tdb: TestDatabase;

/**
 * Installed in this test's database only: at COMMIT of any transaction that changed a letter's
 * status, that same transaction must have written a history row for the letter. A status update
 * committed on its own (history written by a later statement) fails here, deterministically:
 * exactly the window in which a poll saw "replayed" without its "Replayed" entry.
 */
const ATOMIC_HISTORY_CHECK = `
  CREATE FUNCTION test_status_change_has_history() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM dead_letter_history h WHERE h.dead_letter_id = NEW.id AND h.xmin = pg_current_xact_id()::xid) THEN
      RAISE EXCEPTION 'dead letter % went % -> % without its history row in the same transaction', NEW.id, OLD.status, NEW.status;
    END IF;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER test_status_change_has_history AFTER UPDATE ON dead_letters
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.payload IS DISTINCT FROM NEW.payload)
    EXECUTE FUNCTION test_status_change_has_history();`;

beforeAll(async () => {
  tdb = await createTestDatabase("dlhist");
  await tdb.db.raw(ATOMIC_HISTORY_CHECK);
});
afterAll(async () => {
  await tdb?.drop();
});

async function letter(key: string): Promise<number> {
  const { ids } = await insertRecordDeadLetters(tdb.db, [
    { dagId: "d", taskId: "t", taskInstanceId: null, dagRunId: null, tryNumber: null, partition: "2024-01-01", recordKey: key, payload: { key }, error: "bad", issues: [] },
  ]);
  return ids[0]!;
}

describe("dead-letter state changes", () => {
  it("the check catches a status change committed without its history row", async () => {
    const id = await letter("probe");
    await expect(tdb.db("dead_letters").where({ id }).update({ status: "replay_pending" })).rejects.toThrow(/without its history row/);
    expect((await getDeadLetter(tdb.db, id))?.status).toBe("open");
  });

  it("replay requested -> replayed, and -> requeued, each commit their status with their history row", async () => {
    const replayed = await letter("a");
    expect(await markReplayPending(tdb.db, replayed, "alice")).toBe(true);
    await markReplayed(tdb.db, replayed, { dagRunId: 1 });
    expect((await getDeadLetter(tdb.db, replayed))?.status).toBe("replayed");
    expect((await deadLetterHistory(tdb.db, replayed)).map((h) => h.event)).toEqual(["created", "replay_requested", "replayed"]);

    const requeued = await letter("b");
    expect(await markReplayPending(tdb.db, requeued, "alice")).toBe(true);
    await requeueReplay(tdb.db, requeued, "still bad", [], { dagRunId: 1 });
    expect(await getDeadLetter(tdb.db, requeued)).toMatchObject({ status: "open", attempts: 2, error: "still bad" });
    expect((await deadLetterHistory(tdb.db, requeued)).map((h) => h.event)).toEqual(["created", "replay_requested", "requeued"]);

    const edited = await letter("c");
    expect(await editDeadLetterPayload(tdb.db, edited, { key: "c", fixed: true }, "bob")).toBe(true);
    expect(await discardDeadLetter(tdb.db, edited, "bob", "not needed")).toBe(true);
    expect((await deadLetterHistory(tdb.db, edited)).map((h) => h.event)).toEqual(["created", "edited", "discarded"]);
  });

  it("a fenced verb that loses writes neither status nor history", async () => {
    const id = await letter("d");
    await markReplayed(tdb.db, id, {}); // not replay_pending: no-op
    await requeueReplay(tdb.db, id, "x", [], {});
    expect(await getDeadLetter(tdb.db, id)).toMatchObject({ status: "open", attempts: 1 });
    expect((await deadLetterHistory(tdb.db, id)).map((h) => h.event)).toEqual(["created"]);
  });
});
