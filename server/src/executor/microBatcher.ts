import { isInfrastructureError } from "../infra/serviceErrors";

/**
 * Coalesces calls that arrive while earlier batches are in flight: a call runs at once when
 * fewer than `maxInFlight` batches are out (no added latency when idle), and everything queued
 * meanwhile goes out together as the next batch. Under load this turns N concurrent tries'
 * claims or completions into a few round trips. If a batch fails, its items are retried one
 * by one, so one bad item (or a deadlock) fails only its own caller; when the server is not
 * there at all (see isInfrastructureError) every caller gets the error at once instead.
 */
export class MicroBatcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxBatch?: number; maxInFlight?: number } = {},
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.inFlight < (this.options.maxInFlight ?? 2)) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight++;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.options.maxBatch ?? 64);
        try {
          const out = await this.run(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(out[i]!));
        } catch (err) {
          if (batch.length === 1 || isInfrastructureError(err)) for (const b of batch) b.reject(err);
          else for (const b of batch) await this.run([b.item]).then((o) => b.resolve(o[0]!), b.reject);
        }
      }
    } finally {
      this.inFlight--;
    }
  }
}
