import { useEffect, useState } from "react";
import { fetchJson, query } from "../api/fetchJson";
import { SSE_EVENTS } from "../api/sse";
import type { LogLine, LogPage } from "../api/types";

export interface LogState {
  lines: LogLine[];
  /** True while the live stream is open. */
  live: boolean;
  error: string | undefined;
}


/**
 * The log of one try: the stored lines, then new ones as the server streams them (SSE), until
 * the component unmounts or the try changes.
 */
export function useLogStream(taskInstanceId: string, tryNumber: number | undefined): LogState {
  const [state, setState] = useState<LogState>({ lines: [], live: false, error: undefined });

  useEffect(() => {
    if (tryNumber === undefined) return;
    setState({ lines: [], live: false, error: undefined });
    // The stream starts after the last line the page gave; ids also guard against overlaps.
    let lastId = 0;
    const add = (incoming: LogLine[]): void => {
      const fresh = incoming.filter((l) => l.id > lastId);
      if (fresh.length === 0) return;
      lastId = fresh[fresh.length - 1]?.id ?? lastId;
      setState((s) => ({ ...s, lines: [...s.lines, ...fresh] }));
    };
    const base = `/api/task-instances/${encodeURIComponent(taskInstanceId)}/logs`;
    const abort = new AbortController();
    let source: EventSource | undefined;
    const openStream = (): void => {
      source = new EventSource(`${base}/stream${query({ try: tryNumber, afterId: lastId || undefined })}`);
      source.addEventListener(SSE_EVENTS.log, (e: MessageEvent<string>) => {
        try {
          add([JSON.parse(e.data) as LogLine]);
        } catch {
          // Not a log line: ignore.
        }
      });
      source.addEventListener("open", () => setState((s) => ({ ...s, live: true })));
      source.addEventListener("end", () => {
        source?.close();
        setState((s) => ({ ...s, live: false }));
      });
      source.addEventListener("error", () => setState((s) => ({ ...s, live: source?.readyState === EventSource.OPEN })));
    };
    // Stored lines page by page, then the live tail.
    const load = async (): Promise<void> => {
      for (;;) {
        const page = await fetchJson<LogPage>(`${base}${query({ try: tryNumber, afterId: lastId || undefined })}`, { signal: abort.signal });
        add(page.lines);
        if (!page.hasMore || page.lines.length === 0) break;
      }
    };
    load()
      .catch((err: unknown) => {
        if (!abort.signal.aborted) setState((s) => ({ ...s, error: err instanceof Error ? err.message : String(err) }));
      })
      .finally(() => {
        if (!abort.signal.aborted) openStream();
      });
    return () => {
      abort.abort();
      source?.close();
    };
  }, [taskInstanceId, tryNumber]);

  return state;
}
