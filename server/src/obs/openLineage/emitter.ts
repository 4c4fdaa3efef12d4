import type { Logger } from "../logger";
import type { RunnelMetrics } from "../metrics";
import type { RunEvent } from "./events";
import { DeliveryError, errorText, type LineageTransport } from "./transport";

/** What `LineageEmitter` needs. */
export interface LineageEmitterOptions {
  transports: readonly LineageTransport[];
  log: Logger;
  metrics?: Pick<RunnelMetrics, "openLineageEvents">;
  /** Most events waiting to be sent; past it new events are dropped (and counted). Default 10,000. */
  maxBuffered?: number;
  /** Most events handed to a transport at once. Default 100. */
  maxBatch?: number;
}

/** An event, or the promise of one still being built (null: nothing to send after all). */
export type PendingEvent = RunEvent | Promise<RunEvent | null>;

/**
 * Sends OpenLineage events in the background, in the order they were emitted, so that emission
 * never fails or slows a task: `emit` only appends to a bounded in-memory buffer. A transport
 * error is logged and counted, and its events are not retried (lineage is best effort; the
 * source of truth stays in Postgres). Events still buffered when the process dies are lost.
 */
export class LineageEmitter {
  private readonly queue: PendingEvent[] = [];
  private draining: Promise<void> | undefined;
  private readonly maxBuffered: number;
  private readonly maxBatch: number;
  private droppedSinceWarning = 0;

  constructor(private readonly opts: LineageEmitterOptions) {
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    this.maxBatch = opts.maxBatch ?? 100;
  }

  /** Queues an event; returns false (and counts a drop) when the buffer is full. Never throws. */
  emit(event: PendingEvent): boolean {
    if (this.queue.length >= this.maxBuffered) {
      // The promise may still reject; nobody will await it.
      if (event instanceof Promise) event.catch(() => undefined);
      this.opts.metrics?.openLineageEvents.inc({ transport: "buffer", result: "dropped" });
      if (this.droppedSinceWarning++ === 0) this.opts.log.warn({ maxBuffered: this.maxBuffered }, "OpenLineage buffer full: dropping events");
      return false;
    }
    this.queue.push(event);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      // Something emitted between the last batch and this callback: start again.
      if (this.queue.length > 0) this.draining = this.drain().finally(() => (this.draining = undefined));
    });
    return true;
  }

  /** Events buffered or being built, not yet handed to the transports. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when every event emitted so far has been sent (or failed). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Flushes, waiting at most `timeoutMs`; logs how many events were left unsent. */
  async close(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const late = await Promise.race([this.flush().then(() => false), timedOut]);
    if (timer) clearTimeout(timer);
    if (late) this.opts.log.warn({ unsent: this.queue.length, timeoutMs }, "OpenLineage events still unsent at shutdown");
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = await this.resolve(this.queue.splice(0, this.maxBatch));
      if (batch.length > 0) await this.send(batch);
    }
    if (this.droppedSinceWarning > 1) this.opts.log.warn({ dropped: this.droppedSinceWarning }, "OpenLineage events dropped while the buffer was full");
    this.droppedSinceWarning = 0;
  }

  private async resolve(pending: readonly PendingEvent[]): Promise<RunEvent[]> {
    const events: RunEvent[] = [];
    for (const p of pending) {
      try {
        const event = await p;
        if (event) events.push(event);
      } catch (err) {
        this.opts.metrics?.openLineageEvents.inc({ transport: "build", result: "failed" });
        this.opts.log.warn({ err: errorText(err) }, "could not build an OpenLineage event");
      }
    }
    return events;
  }

  private async send(events: readonly RunEvent[]): Promise<void> {
    await Promise.all(
      this.opts.transports.map(async (transport) => {
        try {
          await transport.send(events);
          this.opts.metrics?.openLineageEvents.inc({ transport: transport.kind, result: "sent" }, events.length);
        } catch (err) {
          const delivered = err instanceof DeliveryError ? err.delivered : 0;
          if (delivered > 0) this.opts.metrics?.openLineageEvents.inc({ transport: transport.kind, result: "sent" }, delivered);
          this.opts.metrics?.openLineageEvents.inc({ transport: transport.kind, result: "failed" }, events.length - delivered);
          this.opts.log.warn({ transport: transport.name, failed: events.length - delivered, err: errorText(err) }, "OpenLineage events not delivered");
        }
      }),
    );
  }
}
