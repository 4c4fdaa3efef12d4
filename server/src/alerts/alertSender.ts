import type { AlertsConfig } from "../config/config";
import { AlertEvent, DeliveryState, OPERATOR_ALERT_EVENTS, OperatorChannel } from "../model/alerts";
import type { Logger } from "../obs/logger";
import type { RunnelMetrics } from "../obs/metrics";
import type { DagDefinition } from "../sdk/defineDag";
import {
  checkDeadLetterThresholds,
  claimDueDeliveries,
  fanOutAlertEvents,
  recordDeliveryFailed,
  recordDeliverySent,
  type AlertEventRow,
  type ClaimedDelivery,
} from "../store/alertOutbox";
import type { Db } from "../store/db";
import { callbackChannelsFor, isCallbackChannel } from "./dagCallbacks";
import { deliverAlert, metricChannel, type DeliveryTargets } from "./deliverAlert";

/** Tuning of the sender; the defaults suit production, tests shorten them. */
export interface AlertSenderOptions {
  /** Pause between passes. Default 500 ms. */
  intervalMs: number;
  /** Events fanned out per statement, and most deliveries in flight at once. Default 50. */
  batchSize: number;
  /** First retry delay of a failed delivery; it doubles per attempt. Default 2 s. */
  retryBaseMs: number;
  /** Longest retry delay. Default 5 min. */
  retryCapMs: number;
  /** Retry delays are spread by up to ±this fraction. Default 0.2. */
  jitter: number;
  /** Attempts of a DAG-file callback before it is given up. Default 3. */
  callbackMaxAttempts: number;
  /** How long a callback function may run. Default 30 s. */
  callbackTimeoutMs: number;
  /** Per HTTP request / SMTP step. Default 10 s. */
  sendTimeoutMs: number;
  /** How long a claimed delivery stays ours; must exceed the longest send. Default 60 s. */
  leaseMs: number;
  /** How often the dead_letters_over check runs. Default 5 s. */
  thresholdEveryMs: number;
  /**
   * How long an event of a DAG this process has not loaded waits for it (another process may have
   * loaded a new DAG file first) before it is fanned out without the DAG's callbacks. Default 30 s.
   */
  unknownDagGraceMs: number;
}

export const ALERT_SENDER_DEFAULTS: AlertSenderOptions = {
  intervalMs: 500,
  batchSize: 50,
  retryBaseMs: 2000,
  retryCapMs: 300_000,
  jitter: 0.2,
  callbackMaxAttempts: 3,
  callbackTimeoutMs: 30_000,
  sendTimeoutMs: 10_000,
  leaseMs: 60_000,
  thresholdEveryMs: 5000,
  unknownDagGraceMs: 30_000,
};

export interface AlertSenderDeps {
  db: Db;
  /** This process's DAGs: callbacks are found (at fan-out) and run (at delivery) from it. */
  dags: { get(dagId: string): { dag: DagDefinition } | undefined };
  alerts: AlertsConfig;
  log: Logger;
  metrics?: RunnelMetrics;
  /** Injected clock (tests). */
  now?: () => number;
}

/** Events DAG-file callbacks receive (see dagCallbacks.ts). */
const CALLBACK_EVENTS: ReadonlySet<AlertEvent> = new Set<AlertEvent>([
  AlertEvent.task_failed,
  AlertEvent.task_succeeded,
  AlertEvent.task_retry,
  AlertEvent.run_failed,
  AlertEvent.run_succeeded,
  AlertEvent.deadline_missed,
]);

/** Exponential backoff with jitter: base * 2^(attempt-1), capped, spread by ±jitter. */
export function retryDelayMs(attempt: number, o: Pick<AlertSenderOptions, "retryBaseMs" | "retryCapMs" | "jitter">, random = Math.random): number {
  const raw = Math.min(o.retryCapMs, o.retryBaseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.max(0, raw * (1 + o.jitter * (2 * random() - 1)));
}

/**
 * The alert sender, one per scheduler process (several may run at once). Each pass:
 * 1. the dead_letters_over check (every `thresholdEveryMs`, one process at a time);
 * 2. fan-out: every new event gets one delivery row per configured operator channel (for the
 *    operator events) and per DAG-file callback it calls, in the transaction that marks it fanned out;
 * 3. delivery: due rows are leased, sent, and recorded `sent`, or `failing` with the error and
 *    the next attempt after an exponential backoff, or `given_up` (event older than
 *    RUNNEL_ALERT_MAX_AGE; a callback after `callbackMaxAttempts`).
 * A crash after a receiver answered but before `sent` was recorded means one more delivery with
 * the same alert id once the lease runs out. Callbacks never change task or run state.
 */
export class AlertSender {
  private readonly o: AlertSenderOptions;
  private readonly targets: DeliveryTargets;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastThresholdCheck = Number.NEGATIVE_INFINITY;
  /** Sends under way: a slow receiver holds its own slot, not the next passes. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly deps: AlertSenderDeps,
    options: Partial<AlertSenderOptions> = {},
  ) {
    this.o = { ...ALERT_SENDER_DEFAULTS, ...options };
    this.targets = { alerts: deps.alerts, dags: deps.dags, sendTimeoutMs: this.o.sendTimeoutMs, callbackTimeoutMs: this.o.callbackTimeoutMs };
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops the loop; resolves once the current pass and the sends under way ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([...this.inFlight]);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runPass().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.schedule(this.o.intervalMs);
      });
    }, delay);
    // The sender never keeps a process alive on its own.
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    try {
      await this.pass();
    } catch (err) {
      this.deps.log.error({ err }, "alert sender pass failed");
    }
  }

  /** One pass: threshold check (when due), fan-out, then as many due deliveries started as there is room for (not awaited). */
  async pass(): Promise<void> {
    const now = this.now();
    if (now - this.lastThresholdCheck >= this.o.thresholdEveryMs) {
      this.lastThresholdCheck = now;
      const crossed = await checkDeadLetterThresholds(this.deps.db, this.deps.alerts.deadLettersOver);
      for (const c of crossed ?? []) this.deps.log.warn({ dagId: c.dagId, open: c.open, eventId: c.eventId }, "open dead letters over the alert threshold");
    }
    for (;;) {
      const fanned = await fanOutAlertEvents(this.deps.db, (e) => this.channelsFor(e), this.o.batchSize);
      if (fanned < this.o.batchSize || this.stopped) break;
    }
    for (;;) {
      const room = this.o.batchSize - this.inFlight.size;
      if (room <= 0 || this.stopped) break;
      const claimed = await claimDueDeliveries(this.deps.db, { limit: room, leaseMs: this.o.leaseMs });
      for (const d of claimed) this.track(this.deliver(d));
      if (claimed.length < room) break;
    }
  }

  private track(send: Promise<void>): void {
    const p: Promise<void> = send
      .catch((err: unknown) => this.deps.log.error({ err }, "recording an alert delivery failed (its lease will run out and it is sent again)"))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** The delivery channels of a new event; null: not now (its DAG is not loaded here yet). */
  private channelsFor(e: AlertEventRow): string[] | null {
    const channels: string[] = [];
    // A test event arrives with its one delivery already (the API inserts both).
    if (e.event === AlertEvent.test) return channels;
    if (OPERATOR_ALERT_EVENTS.has(e.event)) {
      const a = this.deps.alerts;
      if (a.webhook) channels.push(OperatorChannel.webhook);
      if (a.slackUrl) channels.push(OperatorChannel.slack);
      if (a.email) channels.push(OperatorChannel.email);
    }
    if (e.dagId !== null && CALLBACK_EVENTS.has(e.event)) {
      const loaded = this.deps.dags.get(e.dagId);
      if (loaded) channels.push(...callbackChannelsFor(loaded.dag, e));
      else if (this.now() - e.occurredAt.getTime() < this.o.unknownDagGraceMs) return null;
      else this.deps.log.warn({ dagId: e.dagId, event: e.event, eventId: e.id }, "alert event of a DAG not loaded in this scheduler: sent without its DAG-file callbacks");
    }
    return channels;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const channel = metricChannel(d.channel);
    let error: string | undefined;
    try {
      await deliverAlert(d, this.targets);
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const log = { deliveryId: d.id, eventId: d.event.id, event: d.event.event, dagId: d.event.dagId, channel: d.channel, attempt: d.attempts + 1 };
    if (error === undefined) {
      // Counted when the receiver took it, before the row says so: whoever sees the row `sent` sees the count.
      this.deps.metrics?.alertDeliveries.inc({ channel, result: "sent" });
      const won = await recordDeliverySent(this.deps.db, d);
      if (!won) this.deps.log.warn(log, "alert delivered, but its lease had run out: another sender may deliver it again");
      return;
    }
    const callback = isCallbackChannel(d.channel);
    const state = await recordDeliveryFailed(this.deps.db, d, {
      error,
      retryInMs: retryDelayMs(d.attempts + 1, this.o),
      maxAgeMs: this.deps.alerts.maxAgeMs,
      giveUp: callback && d.attempts + 1 >= this.o.callbackMaxAttempts,
    });
    const result = state === DeliveryState.given_up ? "given_up" : "failed";
    this.deps.metrics?.alertDeliveries.inc({ channel, result });
    const message = callback ? "DAG-file callback failed" : "alert delivery failed";
    this.deps.log.warn({ ...log, err: error, state }, state === DeliveryState.given_up ? `${message}; given up` : message);
  }
}
