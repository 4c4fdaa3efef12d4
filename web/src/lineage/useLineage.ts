import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { fetchJson, postJson, query } from "../api/fetchJson";
import type { DatasetDetailResponse, DatasetListResponse, LineageGraphResponse, PartitionDetailResponse, ReprocessDetailResponse, ReprocessRequest, ReprocessResponse } from "../api/types";

export const lineageKeys = {
  all: ["lineage"] as const,
  graph: (dagId: string | undefined) => ["lineage", "graph", dagId ?? null] as const,
  datasets: ["lineage", "datasets"] as const,
  dataset: (uri: string) => ["lineage", "dataset", uri] as const,
  partition: (uri: string, partition: string) => ["lineage", "partition", uri, partition] as const,
  reprocessPreview: (uri: string, partition: string) => ["lineage-reprocess-preview", uri, partition] as const,
};

/** Datasets and the tasks that write and read them, across DAGs (or around one DAG's tasks). */
export function useLineageGraph(dagId: string | undefined) {
  return useQuery({
    queryKey: lineageKeys.graph(dagId),
    queryFn: ({ signal }) => fetchJson<LineageGraphResponse>(`/api/lineage/graph${query({ dagId })}`, { signal }),
  });
}

/** Every dataset known to Runnel (declared by a task or written through it). */
export function useDatasetList() {
  return useQuery({
    queryKey: lineageKeys.datasets,
    queryFn: ({ signal }) => fetchJson<DatasetListResponse>("/api/lineage/datasets", { signal }),
  });
}

/** One dataset: producers, consumers, partitions (newest first) and its check results. */
export function useDataset(uri: string) {
  return useQuery({
    queryKey: lineageKeys.dataset(uri),
    queryFn: ({ signal }) => fetchJson<DatasetDetailResponse>(`/api/lineage/dataset${query({ uri })}`, { signal }),
    retry: false,
  });
}

/** One partition: its writes, what it was computed from and what depends on it. */
export function usePartition(uri: string, partition: string) {
  return useQuery({
    queryKey: lineageKeys.partition(uri, partition),
    queryFn: ({ signal }) => fetchJson<PartitionDetailResponse>(`/api/lineage/partition${query({ uri, partition })}`, { signal }),
    retry: false,
  });
}

type ReprocessTarget = Omit<ReprocessRequest, "dryRun">;

/** The dry run of a reprocess: exactly the task instances it would clear; changes nothing. */
export function useReprocessPreview(target: ReprocessTarget) {
  return useQuery({
    queryKey: lineageKeys.reprocessPreview(target.uri, target.partition),
    queryFn: ({ signal }) => fetchJson<ReprocessResponse>("/api/lineage/reprocess", { method: "POST", body: { ...target, dryRun: true }, signal }),
    // A 403 (viewer) or 404 is an answer, not a hiccup; and each opening of the dialog asks afresh.
    retry: false,
    staleTime: 0,
    gcTime: 0,
  });
}

/** Clears every task instance downstream of a partition (operator role). */
export function useReprocess() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (target: ReprocessTarget) => postJson<ReprocessResponse>("/api/lineage/reprocess", { ...target, dryRun: false }),
    onSuccess: () => {
      // Runs of any DAG may have changed. The open dry run is left alone: asking it again now would only confuse.
      void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "lineage-reprocess-preview" });
    },
  });
}

/** A reprocess's waves, refreshed every 2 s while it is still releasing them. */
export function useReprocessProgress(id: number | null) {
  return useQuery({
    queryKey: ["lineage", "reprocess", id],
    enabled: id !== null,
    queryFn: ({ signal }) => fetchJson<ReprocessDetailResponse>(`/api/lineage/reprocesses/${id}`, { signal }),
    refetchInterval: (q) => (q.state.data?.state === "running" ? 2000 : false),
  });
}
