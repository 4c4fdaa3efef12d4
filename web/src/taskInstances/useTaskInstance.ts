import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson } from "../api/fetchJson";
import { UNFINISHED_TASK_STATES } from "../api/states";
import type { ClearRequest, ClearResponse, MarkRequest, MarkResponse, TaskInstanceDetail } from "../api/types";

export const taskInstanceKeys = { detail: (id: string) => ["taskInstance", id] as const };

export function useTaskInstance(id: string) {
  return useQuery({
    queryKey: taskInstanceKeys.detail(id),
    queryFn: ({ signal }) => fetchJson<TaskInstanceDetail>(`/api/task-instances/${encodeURIComponent(id)}`, { signal }),
    refetchInterval: (q) => (q.state.data && UNFINISHED_TASK_STATES.has(q.state.data.state) ? 3000 : false),
  });
}

/** Clears (retries) task instances of a run; `dryRun` lists what would be cleared. */
export function useClearTaskInstances(dagRunId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ClearRequest) => postJson<ClearResponse>(`/api/runs/${encodeURIComponent(dagRunId)}/clear`, body),
    onSuccess: (_data, body) => {
      if (!body.dryRun) void client.invalidateQueries();
    },
  });
}

/** Marks a task instance success or failed; `dryRun` lists what would change. */
export function useMarkTaskInstance(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: MarkRequest) => postJson<MarkResponse>(`/api/task-instances/${encodeURIComponent(id)}/mark`, body),
    onSuccess: (_data, body) => {
      if (!body.dryRun) void client.invalidateQueries();
    },
  });
}
