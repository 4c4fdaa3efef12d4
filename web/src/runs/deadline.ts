import type { GridRun } from "../api/types";
import { utcDateTime } from "../format/time";

/**
 * How a run's deadline (the DAG's `deadline`) or a task instance's (its `expectedDuration`) reads
 * in the dashboard. The server says when it was due, whether the scheduler found it missed, and
 * how late it ended (`lateMs`); only "how far past it so far" for an unfinished one is computed
 * here, from the clock.
 */

/** A missed deadline as the grid carries it. */
export type GridDeadlineMiss = NonNullable<GridRun["missedDeadline"]>;

/** The deadline fields of a run or task instance payload. */
export interface DeadlineFacts {
  deadlineAt: string | null;
  deadlineMissedAt: string | null;
  lateMs: number | null;
  endDate: string | null;
  state: string;
}

/** What to say about a deadline: nothing, not due yet, met, missed and ended late, or missed and still open. */
export type DeadlineStatus =
  | { kind: "none" }
  | { kind: "due" | "met" | "late" | "overdue"; text: string; dueAt: string };

/** "<1s", "45s", "12m", "2h 5m", "3d 4h": how late, at a glance. */
export function lateness(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return "<1s";
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** "02:00 UTC" on the day of `reference` (seconds when there are any), else the full "2024-01-02 02:00 UTC". */
export function dueLabel(iso: string, reference: Date): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const text = d.toISOString();
  if (text.slice(0, 10) !== reference.toISOString().slice(0, 10)) return utcDateTime(iso);
  return `${text.slice(11, text.slice(17, 19) === "00" ? 16 : 19)} UTC`;
}

/** The words for a run's or task instance's deadline at `now`. */
export function deadlineStatus(f: DeadlineFacts, now: Date = new Date()): DeadlineStatus {
  if (!f.deadlineAt) return { kind: "none" };
  const dueAt = f.deadlineAt;
  const due = dueLabel(dueAt, f.endDate ? new Date(f.endDate) : now);
  if (f.lateMs !== null) return { kind: "late", dueAt, text: `Missed its deadline (due ${due}, finished ${lateness(f.lateMs)} late)` };
  if (f.endDate) return { kind: "met", dueAt, text: `Finished before its deadline (due ${due})` };
  const past = now.getTime() - new Date(dueAt).getTime();
  if (f.deadlineMissedAt || past >= 0) {
    const doing = f.state === "running" ? "Still running" : f.state === "queued" ? "Still queued" : "Not finished";
    return { kind: "overdue", dueAt, text: `${doing} ${lateness(Math.max(past, 0))} past its deadline (due ${due})` };
  }
  return { kind: "due", dueAt, text: `Due by ${due}` };
}

/** The grid's accessible words for a missed deadline: "missed its deadline by 12m", or how far past it an open one is. */
export function gridMissLabel(miss: GridDeadlineMiss, now: Date = new Date()): string {
  if (miss.lateMs !== null) return `missed its deadline by ${lateness(miss.lateMs)}`;
  return `missed its deadline, not finished ${lateness(Math.max(now.getTime() - new Date(miss.deadlineAt).getTime(), 0))} after it`;
}
