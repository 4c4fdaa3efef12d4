import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import type { BackfillCreateResponse, BackfillDetail, BackfillListResponse, BackfillRequest, BackfillState } from "../api/types";
import { dagKeys } from "../dags/useDags";

/** How often a live backfill's page and lists refresh. */
export const BACKFILL_POLL_MS = 2000;

export const backfillKeys = {
  all: ["backfills"] as const,
  list: (dagId: string | undefined) => ["backfills", "list", dagId ?? null] as const,
  detail: (id: string) => ["backfills", "detail", id] as const,
  preview: (dagId: string, body: BackfillRequest) => ["backfills", "preview", dagId, body] as const,
};

/** States in which a backfill still has work going on. */
export const isLive = (state: BackfillState): boolean => state === "queued" || state === "running" || state === "paused";

const createPath = (dagId: string): string => `/api/dags/${encodeURIComponent(dagId)}/backfills`;

/** The dry run of a backfill (what would be created, cleared, skipped); `body` undefined = not yet. */
export function useBackfillPreview(dagId: string, body: BackfillRequest | undefined) {
  return useQuery({
    queryKey: backfillKeys.preview(dagId, body ?? { from: "", to: "" }),
    enabled: body !== undefined,
    queryFn: ({ signal }) => fetchJson<BackfillCreateResponse>(createPath(dagId), { method: "POST", body: { ...body, dryRun: true }, signal }),
    // A 400 (bad range) or 403 (viewer) is an answer, not a hiccup.
    retry: false,
    staleTime: 0,
    gcTime: 30_000,
    placeholderData: keepPreviousData,
  });
}

export function useCreateBackfill(dagId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: BackfillRequest) => postJson<BackfillCreateResponse>(createPath(dagId), { ...body, dryRun: false }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: backfillKeys.all });
      void client.invalidateQueries({ queryKey: dagKeys.grid(dagId) });
      void client.invalidateQueries({ queryKey: ["runs"] });
    },
  });
}

/** Backfills, newest first (of one DAG, or all). */
export function useBackfillList(dagId: string | undefined) {
  return useQuery({
    queryKey: backfillKeys.list(dagId),
    queryFn: ({ signal }) => fetchJson<BackfillListResponse>(`/api/backfills${query({ dagId })}`, { signal }),
    refetchInterval: (q) => (q.state.data?.backfills.some((b) => isLive(b.state)) ? BACKFILL_POLL_MS : false),
  });
}

/** One backfill with its dates; polls while it has work going on. */
export function useBackfill(id: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: backfillKeys.detail(id),
    queryFn: async ({ signal }) => {
      const b = await fetchJson<BackfillDetail>(`/api/backfills/${encodeURIComponent(id)}`, { signal });
      // The DAG's grid follows the backfill's runs.
      void client.invalidateQueries({ queryKey: dagKeys.grid(b.dagId) });
      return b;
    },
    refetchInterval: (q) => (q.state.data && (isLive(q.state.data.state) || q.state.data.progress.queued + q.state.data.progress.running > 0) ? BACKFILL_POLL_MS : false),
  });
}

export type BackfillControl = "cancel" | "pause" | "resume";

export function useBackfillControl(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (action: BackfillControl) => postJson<BackfillDetail>(`/api/backfills/${encodeURIComponent(id)}/${action}`),
    onSuccess: (data) => {
      client.setQueryData(backfillKeys.detail(id), data);
      void client.invalidateQueries({ queryKey: backfillKeys.all });
      void client.invalidateQueries({ queryKey: dagKeys.grid(data.dagId) });
    },
  });
}
