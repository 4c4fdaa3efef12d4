import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { RunEvent } from "./events";

/** Delivers events somewhere. `send` resolves once all of them are delivered and rejects otherwise (with `DeliveryError` when some were). */
export interface LineageTransport {
  /** The `transport` label of its metrics. */
  readonly kind: "http" | "file";
  /** What logs call it: the endpoint or the file. */
  readonly name: string;
  send(events: readonly RunEvent[]): Promise<void>;
}

/** Thrown by a transport that delivered the first `delivered` events of a batch and then failed. */
export class DeliveryError extends Error {
  override readonly name = "DeliveryError";
  constructor(
    readonly delivered: number,
    cause: unknown,
  ) {
    super(errorText(cause), { cause });
  }
}

/** Arguments of `HttpTransport`. */
export interface HttpTransportOptions {
  /** The full endpoint, e.g. `http://localhost:5000/api/v1/lineage`. */
  url: string;
  /** Per-request timeout. Default 5 s. */
  timeoutMs?: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
}

/** POSTs each event as one JSON body (the OpenLineage HTTP API, as Marquez serves it); a non-2xx answer is an error. */
export class HttpTransport implements LineageTransport {
  readonly kind = "http";
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(opts: HttpTransportOptions) {
    this.name = opts.url;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.fetch = opts.fetch ?? fetch;
  }

  async send(events: readonly RunEvent[]): Promise<void> {
    // One at a time: the endpoint sees the events in order. The first failure ends the batch
    // (an endpoint that is down would otherwise cost a timeout per event).
    for (const [i, event] of events.entries()) {
      try {
        await this.post(event);
      } catch (err) {
        throw new DeliveryError(i, err);
      }
    }
  }

  private async post(event: RunEvent): Promise<void> {
    const response = await this.fetch(this.name, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(event),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    // Read the body so the connection can be reused.
    const text = await response.text().catch(() => "");
    if (!response.ok) throw new Error(`OpenLineage endpoint answered ${response.status}${text ? `: ${text.slice(0, 200)}` : ""}`);
  }
}

/** Appends events to a file, one JSON object per line (creating its folder). */
export class FileTransport implements LineageTransport {
  readonly kind = "file";
  private ready: Promise<unknown> | undefined;

  constructor(readonly name: string) {}

  async send(events: readonly RunEvent[]): Promise<void> {
    // Made once; a failure (e.g. a permission problem fixed later) is retried with the next batch.
    this.ready ??= mkdir(dirname(this.name), { recursive: true }).catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    await this.ready;
    await appendFile(this.name, events.map((e) => `${JSON.stringify(e)}\n`).join(""), "utf8");
  }
}

/** A one-line description of an error, with its cause (fetch puts the socket error there). */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
  return String(err);
}
