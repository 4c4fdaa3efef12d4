import { DEAD_LETTER_STATUSES } from "../api/states";
import type { DeadLetterFilter, DeadLetterKind, DeadLetterStatus } from "../api/types";

/** The page's two views: invalid records and failed tasks. */
export const VIEW_KIND: Record<"records" | "tasks", DeadLetterKind> = { records: "record", tasks: "task" };
export type DeadLetterView = keyof typeof VIEW_KIND;

/** The status filter's choices; `all` = any status. Open is the default: it is the work to do. */
export type StatusChoice = DeadLetterStatus | "all";
export const STATUS_CHOICES: readonly StatusChoice[] = [...DEAD_LETTER_STATUSES, "all"];

/** What the page keeps in the URL query: view, DAG, task, partition, error text, status, older-than date. */
export interface PageFilter {
  view: DeadLetterView;
  dagId: string;
  taskId: string;
  partition: string;
  q: string;
  status: StatusChoice;
  olderThan: string;
}

export function readPageFilter(search: URLSearchParams): PageFilter {
  const status = search.get("status") ?? "open";
  return {
    view: search.get("view") === "tasks" ? "tasks" : "records",
    dagId: search.get("dagId") ?? "",
    taskId: search.get("taskId") ?? "",
    partition: search.get("partition") ?? "",
    q: search.get("q") ?? "",
    status: (STATUS_CHOICES as readonly string[]).includes(status) ? (status as StatusChoice) : "open",
    olderThan: /^\d{4}-\d{2}-\d{2}$/.test(search.get("olderThan") ?? "") ? search.get("olderThan")! : "",
  };
}

/** The URL query changes of `changes` (empty strings and the defaults are dropped from the URL). */
export function searchChanges(changes: Partial<PageFilter>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(changes)) {
    const isDefault = v === "" || (k === "status" && v === "open") || (k === "view" && v === "records");
    out[k] = isDefault ? undefined : v;
  }
  return out;
}

/** The API filter of a page filter (what the list, and bulk actions by filter, send). */
export function apiFilter(f: PageFilter): DeadLetterFilter {
  const status = DEAD_LETTER_STATUSES.find((s) => s === f.status);
  return {
    kind: VIEW_KIND[f.view],
    ...(f.dagId ? { dagId: f.dagId } : {}),
    ...(f.taskId ? { taskId: f.taskId } : {}),
    ...(f.partition ? { partition: f.partition } : {}),
    ...(f.q ? { q: f.q } : {}),
    ...(status ? { status } : {}),
    ...(f.olderThan ? { olderThan: f.olderThan } : {}),
  };
}
