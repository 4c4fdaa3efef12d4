import { useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { SSE_EVENTS } from "../api/sse";

import type { RunEvent, TaskEvent } from "../api/types";

/** Batches refreshes: a burst of task completions refreshes each query once. */
const FLUSH_MS = 300;

/**
 * Subscribes to run and task state changes over SSE and refreshes the affected queries.
 * Returns whether the stream is connected (pages poll slower while it is).
 */
export function useLiveEvents(enabled: boolean): boolean {
  const client = useQueryClient();
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (!enabled) return;
    const pending = new Map<string, QueryKey>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      for (const key of pending.values()) void client.invalidateQueries({ queryKey: key });
      pending.clear();
    };
    const touch = (key: QueryKey): void => {
      pending.set(JSON.stringify(key), key);
      timer ??= setTimeout(flush, FLUSH_MS);
    };
    const onEvent = (e: MessageEvent<string>): void => {
      let event: RunEvent | TaskEvent;
      try {
        event = JSON.parse(e.data) as RunEvent | TaskEvent;
      } catch {
        return;
      }
      touch(["dag", event.dagId, "grid"]);
      touch(["run", String(event.dagRunId)]);
      if (e.type === SSE_EVENTS.task && "id" in event) touch(["taskInstance", String(event.id)]);
      if (e.type === SSE_EVENTS.run) {
        touch(["dags"]);
        touch(["runs"]);
        // A run that ended may have written an alert event (failed runs and tasks always do).
        touch(["alerts", "list"]);
      }
    };
    const source = new EventSource("/api/events");
    source.addEventListener(SSE_EVENTS.run, onEvent);
    source.addEventListener(SSE_EVENTS.task, onEvent);
    source.addEventListener("open", () => setConnected(true));
    source.addEventListener("error", () => setConnected(source.readyState === EventSource.OPEN));
    return () => {
      source.close();
      clearTimeout(timer);
      setConnected(false);
    };
  }, [client, enabled]);

  return connected;
}
