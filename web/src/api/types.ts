/**
 * Shapes of the Runnel API: the types inferred from the server's zod schemas (the same ones it
 * validates with), never copied by hand. Type-only: no server code reaches the bundle.
 */
export type { AttemptState, BackfillState, ReprocessMode, RunState, RunType, TaskState, UserRole } from "../../../server/src/model/states";
export type {
  ApiErrorBody,
  Attempt,
  Backfill,
  BackfillCreateResponse,
  BackfillDate,
  BackfillDetail,
  BackfillListResponse,
  BackfillPlan,
  BackfillProgress,
  BackfillRange,
  BackfillRequest,
  CancelResponse,
  ClearRequest,
  ClearResponse,
  CurrentUser,
  DagDetail,
  DagListResponse,
  DagSummary,
  GraphEdge,
  GraphNode,
  GridCell,
  GridResponse,
  GridRun,
  ImportError,
  LogLine,
  LogPage,
  LoginRequest,
  MarkRequest,
  MarkResponse,
  PauseResponse,
  RecentRun,
  RunDetail,
  RunEvent,
  RunListResponse,
  RunSummary,
  TaskEvent,
  TaskInstanceDetail,
  TaskInstanceSummary,
  TaskRef,
  TriggerIntervalResponse,
  TriggerRequest,
  TriggerResponse,
} from "../../../server/src/api/contract";
// Dead letters (contract/deadLetters.ts) and a run's check results (contract/checks.ts).
export type { DeadLetterEvent, DeadLetterKind, DeadLetterStatus } from "../../../server/src/model/states";
export type {
  DeadLetter,
  DeadLetterActionResponse,
  DeadLetterBulkRequest,
  DeadLetterCountsResponse,
  DeadLetterDetail,
  DeadLetterFilter,
  DeadLetterHistoryEntry,
  DeadLetterListResponse,
  DeadLetterValidateResponse,
  PayloadIssue,
  RunCheckResult,
  RunChecksResponse,
} from "../../../server/src/api/contract";
// Lineage: datasets, partitions, the tasks that write and read them (contract/lineage.ts).
export type {
  DatasetCheckResult,
  DatasetDetailResponse,
  DatasetListResponse,
  DatasetPartition,
  DatasetSummary,
  DownstreamImpact,
  ImpactedRun,
  ImpactedTask,
  LineageEdge,
  LineageGraphResponse,
  LineageNode,
  LineageTaskKey,
  PartitionDetailResponse,
  PartitionEdge,
  PartitionNode,
  PartitionWrite,
  ReprocessDetailResponse,
  ReprocessRequest,
  ReprocessResponse,
  ReprocessRun,
  Writer,
} from "../../../server/src/api/contract";
// Alerts: events of the outbox and their delivery per channel (contract/alerts.ts).
export type { AlertEvent, DeliveryState, OperatorChannel } from "../../../server/src/model/alerts";
export type { Alert, AlertChannel, AlertChannelsResponse, AlertDelivery, AlertListQuery, AlertListResponse, TestAlertRequest } from "../../../server/src/api/contract";

/** The subset of JSON Schema the trigger form understands (a DAG's `paramsSchema`). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  description?: string;
  title?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}
