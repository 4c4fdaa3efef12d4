import { useEffect, useState } from "react";
import { fetchJson } from "./fetchJson";

/** What a polled endpoint has shown so far. */
export interface Polled<T> {
  /** The last successful response; kept while later polls fail. */
  data: T | undefined;
  /** The error of the latest poll, cleared by the next success. */
  error: Error | undefined;
  /** When `data` was fetched. */
  updatedAt: Date | undefined;
}

/**
 * GETs `path` now and then `intervalMs` after each answer (never two requests in flight), until
 * the component unmounts. A stand-in for React Query until the full dashboard lands.
 */
export function usePolledJson<T>(path: string, intervalMs: number): Polled<T> {
  const [state, setState] = useState<Polled<T>>({ data: undefined, error: undefined, updatedAt: undefined });

  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (): Promise<void> => {
      try {
        const data = await fetchJson<T>(path, abort.signal);
        setState({ data, error: undefined, updatedAt: new Date() });
      } catch (err) {
        if (abort.signal.aborted) return;
        setState((prev) => ({ ...prev, error: err instanceof Error ? err : new Error(String(err)) }));
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void poll(), intervalMs);
    };
    void poll();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [path, intervalMs]);

  return state;
}
