import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * OpenLineage RunEvents (spec 2-0-2) for task tries: pure builders, no I/O. One OpenLineage run
 * is one try of one task instance; its parent run is the DAG run.
 */

export const OPENLINEAGE_SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent";
const PARENT_FACET_SCHEMA_URL = "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet";
const NOMINAL_TIME_FACET_SCHEMA_URL = "https://openlineage.io/spec/facets/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet";
const ERROR_FACET_SCHEMA_URL = "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet";

function runnelVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8"));
    const version = typeof pkg === "object" && pkg !== null ? (pkg as { version?: unknown }).version : undefined;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The `producer` of every event: Runnel's source at this version (server/package.json). */
export const RUNNEL_PRODUCER = `https://github.com/runnel/runnel/tree/${runnelVersion()}`;

/** Run state transitions Runnel reports (a subset of the spec's enum). */
export const LineageEventType = {
  /** A try was claimed and starts running. */
  start: "START",
  /** The try succeeded (or was skipped). */
  complete: "COMPLETE",
  /** The try failed (a retry, if any, is a new run). */
  fail: "FAIL",
  /** The try's result was discarded: the task instance was cleared, canceled or moved on meanwhile. */
  abort: "ABORT",
} as const;
export type LineageEventType = (typeof LineageEventType)[keyof typeof LineageEventType];

/** A dataset as OpenLineage names it. */
export interface LineageDataset {
  namespace: string;
  name: string;
}

/** Facets all carry who made them and their schema. */
interface BaseFacet {
  _producer: string;
  _schemaURL: string;
}

export interface ParentRunFacet extends BaseFacet {
  run: { runId: string };
  job: { namespace: string; name: string };
}

export interface NominalTimeRunFacet extends BaseFacet {
  nominalStartTime: string;
  nominalEndTime?: string;
}

export interface ErrorMessageRunFacet extends BaseFacet {
  message: string;
  programmingLanguage: string;
}

/** The RunEvent Runnel sends (fields of the spec it uses). */
export interface RunEvent {
  eventType: LineageEventType;
  eventTime: string;
  producer: string;
  schemaURL: string;
  run: {
    runId: string;
    facets: { parent: ParentRunFacet; nominalTime?: NominalTimeRunFacet; errorMessage?: ErrorMessageRunFacet };
  };
  job: { namespace: string; name: string };
  inputs: LineageDataset[];
  outputs: LineageDataset[];
}

/** The RFC 4122 URL namespace; names below are URL-like, so v5 ids under it are stable and unlikely to collide with other producers'. */
const URL_NAMESPACE = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

/** A name-based UUID (version 5: SHA-1 of namespace + name), the same for the same name everywhere. */
export function uuidV5(name: string, namespace: string = URL_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The OpenLineage runId of try `tryNumber` of task instance `taskInstanceId` (stable across events and workers). */
export function tryRunId(namespace: string, taskInstanceId: number, tryNumber: number): string {
  return uuidV5(`runnel://${namespace}/task_instance/${taskInstanceId}/try/${tryNumber}`);
}

/** The OpenLineage runId of a DAG run (the parent of its tries' runs). */
export function dagRunRunId(namespace: string, dagRunId: number): string {
  return uuidV5(`runnel://${namespace}/dag_run/${dagRunId}`);
}

/** How dataset URIs map to OpenLineage namespaces and names. */
export interface DatasetNaming {
  /** Namespace of warehouse tables, e.g. `postgres://db.internal:5432`. */
  warehouseNamespace: string;
  /** Database name prefixed to `<schema>.<table>`, or null to leave names as `<schema>.<table>`. */
  warehouseDatabase: string | null;
  /** Schema of a bare table name. */
  warehouseSchema: string;
}

/**
 * Naming for a warehouse at `warehouseUrl` (the OpenLineage Postgres convention: namespace
 * `postgres://host:port`, name `database.schema.table`). `namespaceOverride` replaces the namespace.
 */
export function warehouseNaming(warehouseUrl: string, warehouseSchema: string, namespaceOverride: string | null = null): DatasetNaming {
  const u = new URL(warehouseUrl);
  const database = decodeURIComponent(u.pathname.replace(/^\//, "")) || null;
  return { warehouseNamespace: namespaceOverride ?? `postgres://${u.hostname}:${u.port || "5432"}`, warehouseDatabase: database, warehouseSchema };
}

/**
 * The OpenLineage dataset of a Runnel dataset URI: `file://<path>` → namespace `file`, name the
 * path; another `scheme://authority/path` → namespace `scheme://authority`, name the path;
 * `schema.table` or `table` → a warehouse table.
 */
export function lineageDataset(uri: string, naming: DatasetNaming): LineageDataset {
  if (uri.startsWith("file://")) return { namespace: "file", name: uri.slice("file://".length) };
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && URL.canParse(uri) ? new URL(uri) : null;
  if (url) return { namespace: `${url.protocol}//${url.host}`, name: url.pathname || "/" };
  const table = uri.includes(".") ? uri : `${naming.warehouseSchema}.${uri}`;
  return { namespace: naming.warehouseNamespace, name: naming.warehouseDatabase ? `${naming.warehouseDatabase}.${table}` : table };
}

/** Datasets of `uris`, each once, in first-seen order. */
export function lineageDatasets(uris: Iterable<string>, naming: DatasetNaming): LineageDataset[] {
  const seen = new Map<string, LineageDataset>();
  for (const uri of uris) {
    const d = lineageDataset(uri, naming);
    const key = `${d.namespace}\u0000${d.name}`;
    if (!seen.has(key)) seen.set(key, d);
  }
  return [...seen.values()];
}

/** The facts about one try that its events carry. */
export interface TryFacts {
  dagId: string;
  taskId: string;
  taskInstanceId: number;
  tryNumber: number;
  dagRunId: number;
  dataIntervalStart: Date;
  dataIntervalEnd: Date;
}

/** Arguments of `buildRunEvent`. */
export interface RunEventArgs {
  eventType: LineageEventType;
  eventTime: Date;
  namespace: string;
  try: TryFacts;
  inputs: LineageDataset[];
  outputs: LineageDataset[];
  /** The error of a FAIL event. */
  error?: string;
  producer?: string;
}

/** One RunEvent of a try: job `<dagId>.<taskId>`, parent the DAG run (job `<dagId>`). */
export function buildRunEvent(a: RunEventArgs): RunEvent {
  const producer = a.producer ?? RUNNEL_PRODUCER;
  const t = a.try;
  const facets: RunEvent["run"]["facets"] = {
    parent: {
      _producer: producer,
      _schemaURL: PARENT_FACET_SCHEMA_URL,
      run: { runId: dagRunRunId(a.namespace, t.dagRunId) },
      job: { namespace: a.namespace, name: t.dagId },
    },
    nominalTime: {
      _producer: producer,
      _schemaURL: NOMINAL_TIME_FACET_SCHEMA_URL,
      nominalStartTime: t.dataIntervalStart.toISOString(),
      nominalEndTime: t.dataIntervalEnd.toISOString(),
    },
  };
  if (a.error !== undefined) {
    facets.errorMessage = { _producer: producer, _schemaURL: ERROR_FACET_SCHEMA_URL, message: a.error, programmingLanguage: "TypeScript" };
  }
  return {
    eventType: a.eventType,
    eventTime: a.eventTime.toISOString(),
    producer,
    schemaURL: OPENLINEAGE_SCHEMA_URL,
    run: { runId: tryRunId(a.namespace, t.taskInstanceId, t.tryNumber), facets },
    job: { namespace: a.namespace, name: `${t.dagId}.${t.taskId}` },
    inputs: a.inputs,
    outputs: a.outputs,
  };
}
