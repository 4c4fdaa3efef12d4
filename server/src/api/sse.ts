import type { Request, Response } from "express";

/** An open Server-Sent Events stream. */
export interface SseStream {
  /** Sends one event; `data` is JSON-encoded (so user text stays inside a JSON string). */
  send(event: string, data: unknown, id?: string | number): void;
  readonly closed: boolean;
}

/**
 * Starts an SSE answer: headers, a heartbeat comment every `heartbeatMs` (keeps proxies from
 * timing out), and `onClose` once the client disconnects (the stream then stops cleanly).
 */
export function openSse(req: Request, res: Response, onClose: () => void, heartbeatMs = 15_000): SseStream {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  res.flushHeaders();
  res.write(": connected\n\n");
  let closed = false;
  const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
  req.on("close", () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    onClose();
  });
  return {
    send(event, data, id) {
      if (closed) return;
      res.write(`${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    get closed() {
      return closed;
    },
  };
}

/** Runs `tick` every `everyMs` until `stream` closes; a failing tick is logged by `onError` and retried. */
export function pollWhileOpen(stream: SseStream, everyMs: number, tick: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const loop = async (): Promise<void> => {
    if (stopped || stream.closed) return;
    try {
      await tick();
    } catch (err) {
      onError(err);
    }
    if (!stopped && !stream.closed) timer = setTimeout(() => void loop(), everyMs);
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Opens an SSE answer and runs `tick(stream)` every `everyMs` until the client disconnects:
 * the shape of every Runnel stream (state changes, log lines), which poll Postgres so they
 * work whichever process made the change.
 */
export function openPollingSse(req: Request, res: Response, everyMs: number, tick: (stream: SseStream) => Promise<void>, onError: (err: unknown) => void): void {
  let stop = () => {};
  const stream = openSse(req, res, () => stop());
  stop = pollWhileOpen(stream, everyMs, () => tick(stream), onError);
}
