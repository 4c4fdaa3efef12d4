import type { LineageTaskKey } from "../api/types";
import { dagPath } from "../router";

/** Dataset URIs and partitions travel in the query string: they contain dots, slashes and colons. */
export const lineagePath = (dagId?: string): string => (dagId ? `/lineage?${new URLSearchParams({ dag: dagId })}` : "/lineage");
export const datasetPath = (uri: string): string => `/lineage/dataset?${new URLSearchParams({ uri })}`;
export const partitionPath = (uri: string, partition: string): string => `/lineage/partition?${new URLSearchParams({ uri, partition })}`;

/** `dagId.taskId`, the way tasks are named across DAGs. */
export const taskKeyLabel = (t: LineageTaskKey): string => `${t.dagId}.${t.taskId}`;

/** A task instance's place: its DAG page with the run selected and the instance's panel open. */
export function taskInstancePath(dagId: string, taskInstanceId: number | null, dagRunId: number | null): string {
  if (taskInstanceId === null) return dagPath(dagId);
  return dagPath(dagId, dagRunId === null ? { ti: String(taskInstanceId) } : { ti: String(taskInstanceId), run: String(dagRunId) });
}

/** How an unpartitioned dataset's single "partition" is shown. */
export const UNPARTITIONED = "(unpartitioned)";
