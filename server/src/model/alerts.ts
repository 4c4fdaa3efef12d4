/**
 * The alert outbox's vocabulary (tables alert_events and alert_deliveries, migration 0017).
 * Persisted strings: never rename one without a migration.
 */

/** What an alert event is about, and who writes each (always in the transaction of its cause). */
export const AlertEvent = {
  /** A task instance ended `failed` through its own tries (retries exhausted, NonRetryableError, a lost last try); not a person's "mark failed" (database trigger). */
  task_failed: "task_failed",
  /** A run ended `failed` (database trigger). */
  run_failed: "run_failed",
  /** A run's `deadline` or a task's `expectedDuration` passed before it finished (the leading scheduler). */
  deadline_missed: "deadline_missed",
  /** An error-severity data-quality check failed (database trigger on check_results; one event per check try). */
  check_failed: "check_failed",
  /** A DAG's open dead letters went over RUNNEL_ALERT_DEAD_LETTERS_OVER (the leading scheduler; once until it falls back). */
  dead_letters_over: "dead_letters_over",
  /** Callbacks only (no operator channel): a task instance succeeded (written only for tasks with an onSuccess callback). */
  task_succeeded: "task_succeeded",
  /** Callbacks only: a try failed and another is due (written only for tasks with an onRetry callback, task- or DAG-level). */
  task_retry: "task_retry",
  /** Callbacks only: a run ended `success` (written only for DAGs with an onSuccess callback). */
  run_succeeded: "run_succeeded",
  /** "Send a test alert" from the Alerts page or the API: delivered to the one channel asked for. */
  test: "test",
} as const;
export type AlertEvent = (typeof AlertEvent)[keyof typeof AlertEvent];
export const ALERT_EVENTS = Object.values(AlertEvent) as readonly AlertEvent[];

/** Events every operator channel (RUNNEL_ALERT_WEBHOOK_URL, _SLACK_URL, _EMAIL_TO) receives. */
export const OPERATOR_ALERT_EVENTS: ReadonlySet<AlertEvent> = new Set<AlertEvent>([
  AlertEvent.task_failed,
  AlertEvent.run_failed,
  AlertEvent.deadline_missed,
  AlertEvent.check_failed,
  AlertEvent.dead_letters_over,
]);

/** The state of one event's delivery to one channel (alert_deliveries.state), and who sets each. */
export const DeliveryState = {
  /** Not tried yet, or due again after a person's resend (sender fan-out, API resend). */
  pending: "pending",
  /** The receiver answered 2xx / the SMTP server accepted / the callback returned (sender). */
  sent: "sent",
  /** The last try failed; another is due at next_attempt_at (sender). */
  failing: "failing",
  /** Stopped trying: older than RUNNEL_ALERT_MAX_AGE, or a callback that failed its last attempt (sender). */
  given_up: "given_up",
} as const;
export type DeliveryState = (typeof DeliveryState)[keyof typeof DeliveryState];
export const DELIVERY_STATES = Object.values(DeliveryState) as readonly DeliveryState[];
/** Deliveries the sender still works on. */
export const OPEN_DELIVERY_STATES: ReadonlySet<DeliveryState> = new Set<DeliveryState>([DeliveryState.pending, DeliveryState.failing]);

/** Where a DAG's `deadline` counts from. */
export const DeadlineFrom = {
  /** When the run was created (queued). */
  queued: "queued",
  /** The run's logical date (the start of its data interval). */
  logicalDate: "logicalDate",
  /** The end of the run's data interval (when a scheduled run becomes due). */
  intervalEnd: "intervalEnd",
} as const;
export type DeadlineFrom = (typeof DeadlineFrom)[keyof typeof DeadlineFrom];
export const DEADLINE_FROMS = Object.values(DeadlineFrom) as readonly DeadlineFrom[];

/**
 * The operator channels, set once by environment (alert_deliveries.channel of their deliveries):
 * RUNNEL_ALERT_WEBHOOK_URL, RUNNEL_ALERT_SLACK_URL, RUNNEL_ALERT_EMAIL_TO with RUNNEL_SMTP_URL.
 * DAG-file callbacks use "callback:dag.<hook>[<i>]" / "callback:task.<taskId>.<hook>[<i>]" instead.
 */
export const OperatorChannel = {
  webhook: "webhook",
  slack: "slack",
  email: "email",
} as const;
export type OperatorChannel = (typeof OperatorChannel)[keyof typeof OperatorChannel];
export const OPERATOR_CHANNELS = Object.values(OperatorChannel) as readonly OperatorChannel[];
