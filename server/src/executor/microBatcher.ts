/**
 * Coalesces calls that arrive while a previous batch is in flight into one batch: the first
 * call runs at once (no added latency when idle), and everything queued meanwhile goes out
 * together when it returns. This turns N concurrent tries' claims or completions into one
 * round trip under load. If a batch fails, its items are retried one by one, so one bad item
 * (or a deadlock) fails only its own caller.
 */
export class MicroBatcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: unknown) => void }[] = [];
  private inFlight = false;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 64,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.inFlight) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.inFlight = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.run(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(out[i]!));
        } catch (err) {
          if (batch.length === 1) batch[0]!.reject(err);
          else for (const b of batch) await this.run([b.item]).then((o) => b.resolve(o[0]!), b.reject);
        }
      }
    } finally {
      this.inFlight = false;
    }
  }
}
