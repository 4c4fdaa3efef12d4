import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import type {
  DeadLetterActionResponse,
  DeadLetterBulkRequest,
  DeadLetterCountsResponse,
  DeadLetterDetail,
  DeadLetterFilter,
  DeadLetterListResponse,
  DeadLetterValidateResponse,
} from "../api/types";

/** How often the open count (nav badge) and a letter waiting for its rerun refresh. */
export const DEAD_LETTER_POLL_MS = 3000;
const COUNT_POLL_MS = 15_000;

export const deadLetterKeys = {
  all: ["deadLetters"] as const,
  list: (filter: DeadLetterFilter) => ["deadLetters", "list", filter] as const,
  counts: (status: string) => ["deadLetters", "counts", status] as const,
  detail: (id: string) => ["deadLetters", "detail", id] as const,
  validate: (id: string, text: string) => ["deadLetters", "validate", id, text] as const,
};

const letterPath = (id: string | number, action = ""): string => `/api/dead-letters/${encodeURIComponent(String(id))}${action ? `/${action}` : ""}`;

/** A page of letters matching `filter`, newest first (at most 200 on one page). */
export function useDeadLetterList(filter: DeadLetterFilter) {
  const client = useQueryClient();
  return useQuery({
    queryKey: deadLetterKeys.list(filter),
    queryFn: async ({ signal }) => {
      const page = await fetchJson<DeadLetterListResponse>(`/api/dead-letters${query({ ...filter, limit: 200 })}`, { signal });
      // The counts (tabs, side panel, header badge) follow the list.
      void client.invalidateQueries({ queryKey: ["deadLetters", "counts"] });
      return page;
    },
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.deadLetters.some((d) => d.status === "replay_pending") ? DEAD_LETTER_POLL_MS : false),
  });
}

/** Letters per DAG, task, kind and status: `open` (default) or `all`. */
export function useDeadLetterCounts(status: string = "open") {
  return useQuery({
    queryKey: deadLetterKeys.counts(status),
    queryFn: ({ signal }) => fetchJson<DeadLetterCountsResponse>(`/api/dead-letters/counts${query({ status })}`, { signal }),
    refetchInterval: COUNT_POLL_MS,
  });
}

/** One letter with its issues, schema and history; polls while a replay or retry is pending. */
export function useDeadLetter(id: string) {
  return useQuery({
    queryKey: deadLetterKeys.detail(id),
    queryFn: ({ signal }) => fetchJson<DeadLetterDetail>(letterPath(id), { signal }),
    refetchInterval: (q) => (q.state.data?.status === "replay_pending" ? DEAD_LETTER_POLL_MS : false),
  });
}

/**
 * The server's check of `text` (already parsed to `payload`) against the letter's stored schema;
 * disabled while `payload` is undefined (the text is not JSON yet).
 */
export function useValidatePayload(id: string, text: string, payload: unknown) {
  return useQuery({
    queryKey: deadLetterKeys.validate(id, text),
    enabled: payload !== undefined,
    queryFn: ({ signal }) => fetchJson<DeadLetterValidateResponse>(letterPath(id, "validate"), { method: "POST", body: { payload }, signal }),
    retry: false,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}

function useInvalidate() {
  const client = useQueryClient();
  return (): void => {
    void client.invalidateQueries({ queryKey: deadLetterKeys.all });
    void client.invalidateQueries({ queryKey: ["runs"] });
    void client.invalidateQueries({ queryKey: ["run"] });
  };
}

export function useEditPayload(id: string) {
  const client = useQueryClient();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (payload: unknown) => fetchJson<DeadLetterDetail>(letterPath(id), { method: "PATCH", body: { payload } }),
    onSuccess: (data) => {
      client.setQueryData(deadLetterKeys.detail(id), data);
      invalidate();
    },
  });
}

/** A letter action with a dry run: `replay` (records), `retry` and `mark-success` (tasks). */
export type LetterAction = "replay" | "retry" | "mark-success";

export function useLetterAction(id: string, action: LetterAction) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (dryRun: boolean) => postJson<DeadLetterActionResponse>(letterPath(id, action), { dryRun }),
    onSuccess: (data) => {
      if (!data.dryRun) invalidate();
    },
  });
}

export function useDiscardLetter(id: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (reason: string) => postJson<DeadLetterActionResponse>(letterPath(id, "discard"), { reason }),
    onSuccess: invalidate,
  });
}

export function useBulkAction() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: DeadLetterBulkRequest) => postJson<DeadLetterActionResponse>("/api/dead-letters/bulk", body),
    onSuccess: (data) => {
      if (!data.dryRun) invalidate();
    },
  });
}
