import { useEffect, useState } from "react";
import { formatDuration } from "../format/duration";
import { utcDateTime } from "../format/time";
import { deadlineStatus, lateness, type DeadlineFacts } from "./deadline";
import "./deadline.css";

/** Re-renders every `everyMs` while `active`, so "5m past its deadline" keeps counting. */
function useNow(active: boolean, everyMs = 15_000): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [active, everyMs]);
  return now;
}

/**
 * A run's or task instance's deadline: a warning note when it was missed ("Missed its deadline
 * (due 02:00 UTC, finished 14m late)", "Still running 5m past its deadline (due 02:00 UTC)"), a
 * quiet line when it is still ahead or was met (unless `quiet` is false: the page shows it elsewhere),
 * nothing without a deadline. `expectedDurationMs` (task instances) is named in the quiet line.
 */
export function DeadlineNote({ facts, expectedDurationMs, quiet = true }: { facts: DeadlineFacts; expectedDurationMs?: number | null; quiet?: boolean }) {
  const open = facts.deadlineAt !== null && facts.endDate === null;
  const now = useNow(open);
  const status = deadlineStatus(facts, now);
  if (status.kind === "none") return null;
  const expected = expectedDurationMs ? `Expected duration ${formatDuration(expectedDurationMs)} · ` : "";
  if (status.kind === "due" || status.kind === "met") {
    if (!quiet) return null;
    return (
      <p className="small deadline-note deadline-note-quiet" title={status.dueAt}>
        {expected}
        {status.text}
      </p>
    );
  }
  return (
    <p className="banner small deadline-note deadline-note-late" role="status" title={status.dueAt}>
      {status.text}
    </p>
  );
}

/** "2024-01-02 02:00 UTC · met" for a facts list: the deadline and whether it was met, missed, or is still ahead. */
export function DeadlineFact({ facts }: { facts: DeadlineFacts & { deadlineAt: string } }) {
  const now = useNow(facts.endDate === null);
  const status = deadlineStatus(facts, now);
  const word = status.kind === "met" ? "met" : status.kind === "due" ? "ahead" : "missed";
  return (
    <>
      {utcDateTime(facts.deadlineAt)} <span className={status.kind === "late" || status.kind === "overdue" ? "late-word" : "muted"}>· {word}</span>
    </>
  );
}

/** A small "late 14m" chip for a table row that missed its deadline; nothing otherwise. */
export function LateChip({ facts }: { facts: DeadlineFacts }) {
  const now = useNow(facts.deadlineAt !== null && facts.endDate === null);
  const status = deadlineStatus(facts, now);
  if (status.kind !== "late" && status.kind !== "overdue") return null;
  const late = status.kind === "late" && facts.lateMs !== null ? facts.lateMs : now.getTime() - new Date(status.dueAt).getTime();
  return (
    <span className="late-chip" role="img" aria-label={status.text} title={status.text}>
      late {lateness(Math.max(late, 0))}
    </span>
  );
}
