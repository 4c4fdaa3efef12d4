/**
 * The scheduler wake's vocabulary: a transaction that creates work a scheduler must act on sends
 * `pg_notify(WAKE_CHANNEL, payload)`, and every scheduler process LISTENs on the channel
 * (`scheduler/schedulerWake.ts`). Postgres delivers a notification on commit only, so a woken
 * scheduler always sees the row. Persisted strings (other processes' versions read them).
 */

/** The Postgres NOTIFY channel every scheduler listens on. */
export const WAKE_CHANNEL = "runnel_wake";

/** Why schedulers are woken (the payload's first part), and who sends each. */
export const WakeReason = {
  /** A manual run was created (API, CLI `dags trigger`): start it and admit its roots. */
  run: "run",
  /** A backfill was created: launch its first dates and start them. */
  backfill: "backfill",
  /** A dataset partition was written (a worker's try): the leader creates dataset-triggered runs. */
  dataset: "dataset",
} as const;
export type WakeReason = (typeof WakeReason)[keyof typeof WakeReason];

const REASONS: ReadonlySet<string> = new Set(Object.values(WakeReason));

/** Longest subject carried (a NOTIFY payload must stay under 8000 bytes; the subject is only for logs). */
const MAX_SUBJECT = 200;

/** The NOTIFY payload: `<reason>:<subject>` (subject: the DAG id or dataset URI, for logs). */
export function wakePayload(reason: WakeReason, subject = ""): string {
  return `${reason}:${subject.slice(0, MAX_SUBJECT)}`;
}

/** The reason of a payload; anything unknown (a newer sender) wakes as for a run. */
export function wakeReasonOf(payload: string | undefined): WakeReason {
  const reason = (payload ?? "").split(":", 1)[0] ?? "";
  return REASONS.has(reason) ? (reason as WakeReason) : WakeReason.run;
}
