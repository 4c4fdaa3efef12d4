import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import type { RunDetail, RunListResponse, RunState } from "../api/types";

export const runKeys = {
  list: (dagId: string | undefined, state: RunState | undefined) => ["runs", { dagId, state }] as const,
  detail: (dagRunId: string) => ["run", dagRunId] as const,
};

export function useRunList(dagId: string | undefined, state: RunState | undefined) {
  return useInfiniteQuery({
    queryKey: runKeys.list(dagId, state),
    queryFn: ({ signal, pageParam }) => fetchJson<RunListResponse>(`/api/runs${query({ dagId, state, limit: 50, cursor: pageParam })}`, { signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
}

export function useRun(dagRunId: string | undefined) {
  return useQuery({
    queryKey: runKeys.detail(dagRunId ?? ""),
    queryFn: ({ signal }) => fetchJson<RunDetail>(`/api/runs/${encodeURIComponent(dagRunId ?? "")}`, { signal }),
    enabled: dagRunId !== undefined,
    refetchInterval: (q) => (q.state.data && (q.state.data.state === "queued" || q.state.data.state === "running") ? 3000 : false),
  });
}

export function useCancelRun() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (dagRunId: string) => postJson<unknown>(`/api/runs/${encodeURIComponent(dagRunId)}/cancel`),
    onSuccess: () => client.invalidateQueries(),
  });
}
