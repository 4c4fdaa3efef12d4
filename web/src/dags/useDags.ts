import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import type { DagDetail, DagListResponse, GridResponse, TriggerIntervalResponse, TriggerRequest, TriggerResponse } from "../api/types";

/** How often the DAG list refreshes on its own (live events refresh it sooner). */
export const DAG_LIST_POLL_MS = 5000;
/** Runs per Grid page. */
export const GRID_PAGE_SIZE = 25;

export const dagKeys = {
  list: ["dags"] as const,
  detail: (dagId: string) => ["dag", dagId] as const,
  version: (dagId: string, versionId: number) => ["dag", dagId, "version", versionId] as const,
  grid: (dagId: string) => ["dag", dagId, "grid"] as const,
};

export function useDagList() {
  return useQuery({
    queryKey: dagKeys.list,
    queryFn: ({ signal }) => fetchJson<DagListResponse>("/api/dags", { signal }),
    refetchInterval: DAG_LIST_POLL_MS,
  });
}

export function useDag(dagId: string) {
  return useQuery({
    queryKey: dagKeys.detail(dagId),
    queryFn: ({ signal }) => fetchJson<DagDetail>(`/api/dags/${encodeURIComponent(dagId)}`, { signal }),
  });
}

/** The DAG as one stored version saw it (graph, params, source); undefined = don't fetch. */
export function useDagVersion(dagId: string, versionId: number | undefined) {
  return useQuery({
    queryKey: dagKeys.version(dagId, versionId ?? 0),
    enabled: versionId !== undefined,
    // A stored version never changes.
    staleTime: Infinity,
    queryFn: ({ signal }) => fetchJson<DagDetail>(`/api/dags/${encodeURIComponent(dagId)}${query({ versionId })}`, { signal }),
  });
}

/** The Grid, newest runs first, one page of runs at a time. */
export function useDagGrid(dagId: string) {
  return useInfiniteQuery({
    queryKey: dagKeys.grid(dagId),
    queryFn: ({ signal, pageParam }) =>
      fetchJson<GridResponse>(`/api/dags/${encodeURIComponent(dagId)}/grid${query({ limit: GRID_PAGE_SIZE, cursor: pageParam })}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    // Active runs change by the second; poll as a fallback to the live events.
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.runs.some((r) => r.state === "queued" || r.state === "running")) ? 3000 : false),
  });
}

/** Pauses or unpauses a DAG, showing the new state at once. */
export function usePauseDag() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ dagId, pause }: { dagId: string; pause: boolean }) => postJson<unknown>(`/api/dags/${encodeURIComponent(dagId)}/${pause ? "pause" : "unpause"}`),
    onMutate: async ({ dagId, pause }) => {
      await client.cancelQueries({ queryKey: dagKeys.list });
      client.setQueryData<DagListResponse>(dagKeys.list, (old) => old && { ...old, dags: old.dags.map((d) => (d.dagId === dagId ? { ...d, isPaused: pause } : d)) });
      client.setQueryData<DagDetail>(dagKeys.detail(dagId), (old) => old && { ...old, isPaused: pause });
    },
    onSettled: (_data, _err, { dagId }) => {
      void client.invalidateQueries({ queryKey: dagKeys.list });
      void client.invalidateQueries({ queryKey: dagKeys.detail(dagId), exact: true });
    },
  });
}

/**
 * The logical date and data interval a trigger would cover now (`logicalDate` undefined: the
 * DAG's last complete interval); refreshed each minute while the dialog is open.
 */
export function useTriggerInterval(dagId: string, logicalDate: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ["dag", dagId, "trigger-interval", logicalDate ?? null] as const,
    enabled,
    queryFn: ({ signal }) => fetchJson<TriggerIntervalResponse>(`/api/dags/${encodeURIComponent(dagId)}/trigger-interval${query({ logicalDate })}`, { signal }),
    retry: false,
    refetchInterval: 60_000,
  });
}

export function useTriggerDag(dagId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: TriggerRequest) => postJson<TriggerResponse>(`/api/dags/${encodeURIComponent(dagId)}/trigger`, body),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: dagKeys.grid(dagId) });
      void client.invalidateQueries({ queryKey: dagKeys.list });
      void client.invalidateQueries({ queryKey: ["runs"] });
    },
  });
}
