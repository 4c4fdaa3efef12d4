import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERT_EVENTS, DELIVERY_STATES } from "../../src/model/alerts";
import { CHECK_SEVERITIES } from "../../src/model/checks";
import {
  ATTEMPT_STATES,
  BACKFILL_ACTIONS,
  BackfillState,
  DEAD_LETTER_EVENTS,
  DEAD_LETTER_STATUSES,
  DeadLetterKind,
  ReprocessState,
  RUN_STATES,
  RUN_TYPES,
  TASK_STATES,
  TRIGGER_RULES,
  UserRole,
} from "../../src/model/states";
import { createTestDatabase, type TestDatabase } from "../helpers/testDb";

/**
 * Migrations state their lists as literals (they import no live code), so a value added to a
 * list in src/model needs a migration that alters the constraint. This test is what notices a
 * missing one: every CHECK (column IN (...)) of the migrated schema equals its list in the model.
 */
const CONSTRAINED: Array<[table: string, column: string, values: readonly string[]]> = [
  ["task_instances", "state", TASK_STATES],
  ["task_instances", "trigger_rule", TRIGGER_RULES],
  ["dag_runs", "state", RUN_STATES],
  ["dag_runs", "run_type", RUN_TYPES],
  ["task_attempts", "state", ATTEMPT_STATES],
  ["backfills", "state", Object.values(BackfillState)],
  ["backfill_dates", "action", BACKFILL_ACTIONS],
  ["dead_letters", "kind", Object.values(DeadLetterKind)],
  ["dead_letters", "status", DEAD_LETTER_STATUSES],
  ["dead_letter_history", "event", DEAD_LETTER_EVENTS],
  ["check_results", "severity", CHECK_SEVERITIES],
  ["reprocesses", "state", Object.values(ReprocessState)],
  ["users", "role", Object.values(UserRole)],
  ["alert_events", "event", ALERT_EVENTS],
  ["alert_deliveries", "state", DELIVERY_STATES],
];

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("vocab");
});
afterAll(async () => {
  await t?.drop();
});

/** The values a column's CHECK constraint allows, read from pg_constraint. */
async function allowedValues(table: string, column: string): Promise<string[]> {
  const { rows } = await t.db.raw<{ rows: Array<{ def: string }> }>(
    `SELECT pg_get_constraintdef(c.oid) AS def
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
      WHERE c.contype = 'c' AND c.conrelid = ?::regclass AND a.attname = ? AND array_length(c.conkey, 1) = 1`,
    [table, column],
  );
  expect(rows, `${table}.${column} has one CHECK constraint`).toHaveLength(1);
  return [...rows[0]!.def.matchAll(/'([^']*)'::text/g)].map((m) => m[1]!);
}

describe("the migrated schema's CHECK constraints", () => {
  it.each(CONSTRAINED)("%s.%s allows exactly the model's list", async (table, column, values) => {
    expect((await allowedValues(table, column)).sort()).toEqual([...values].sort());
  });
});
