import { Router, type Response } from "express";
import type { Runtime } from "../../runtime/runtime";
import { datasetCheckTrend } from "../../store/checks";
import { datasetPartitions } from "../../store/datasetPartitions";
import { downstreamOfPartition, type DownstreamImpactResult } from "../../store/downstreamImpact";
import { byText, lineageGraph, loadLineageCatalog, sortedTasks, type CatalogDataset } from "../../store/lineageCatalog";
import { upstreamOfPartition, type LineagePartition } from "../../store/partitionUpstream";
import { findDatasetId, partitionWasRead, writesOfPartition, type PartitionKey, type StoredWrite } from "../../store/partitionWrites";
import { reprocessPartition } from "../../store/reprocessPartition";
import { getReprocess } from "../../store/reprocessWaves";
import { principalOf, requireRole } from "../auth/authenticate";
import {
  DatasetQuerySchema,
  LineageGraphQuerySchema,
  PartitionQuerySchema,
  ReprocessRequestSchema,
  type DatasetDetailResponse,
  type DatasetListResponse,
  type DatasetSummary,
  type DownstreamImpact,
  type LineageGraphResponse,
  type PartitionDetailResponse,
  type ReprocessDetailResponse,
  type PartitionNode,
  type PartitionWrite,
  type ReprocessResponse,
} from "../contract";
import { HttpError, idParam, parseWith } from "../http";
import { recordAction } from "../recordAction";

/** Writes listed in a partition's history, newest first. */
const HISTORY_LIMIT = 500;

function presentWrite(w: Omit<StoredWrite, "partition"> & { partition: string | null }): PartitionWrite {
  return { eventId: w.eventId, partition: w.partition, rowCount: w.rowCount, checksum: w.checksum, writtenAt: w.writtenAt.toISOString(), writer: w.writer };
}

const presentNode = (p: LineagePartition): PartitionNode => ({ id: p.id, uri: p.uri, partition: p.partition, lastWrite: p.lastWrite ? presentWrite(p.lastWrite) : null });

function presentImpact(i: DownstreamImpactResult): DownstreamImpact {
  return { partitions: i.partitions.map(presentNode), edges: i.edges, tasks: i.tasks, runs: i.runs, truncated: i.truncated };
}

function presentSummary(d: CatalogDataset): DatasetSummary {
  return {
    uri: d.uri,
    partitionCount: d.partitionCount,
    lastWrite: d.lastWrite ? presentWrite(d.lastWrite) : null,
    producers: sortedTasks(d.producers),
    consumers: sortedTasks(d.consumers),
    scheduledDags: [...d.scheduledDags].sort(),
  };
}

async function graph(rt: Runtime, query: unknown): Promise<LineageGraphResponse> {
  const q = parseWith(LineageGraphQuerySchema, query, "query");
  const g = await lineageGraph(rt.db, { dagId: q.dagId });
  return { nodes: g.nodes.map((n) => (n.kind === "dataset" ? { ...n, lastWrittenAt: n.lastWrittenAt?.toISOString() ?? null } : n)), edges: g.edges };
}

async function datasets(rt: Runtime): Promise<DatasetListResponse> {
  const catalog = await loadLineageCatalog(rt.db);
  return { datasets: [...catalog.values()].sort((a, b) => byText(a.uri, b.uri)).map(presentSummary) };
}

async function dataset(rt: Runtime, query: unknown): Promise<DatasetDetailResponse> {
  const { uri } = parseWith(DatasetQuerySchema, query, "query");
  const known = (await loadLineageCatalog(rt.db)).get(uri);
  if (!known) throw new HttpError(404, "not_found", `no dataset ${uri}: no DAG declares it and nothing wrote or read it`);
  const datasetId = await findDatasetId(rt.db, uri);
  // A check may name a warehouse table without its schema.
  const prefix = `${rt.config.warehouseSchema}.`;
  const names = uri.startsWith(prefix) ? [uri, uri.slice(prefix.length)] : [uri];
  const [partitions, checks] = await Promise.all([datasetId === undefined ? [] : datasetPartitions(rt.db, datasetId), datasetCheckTrend(rt.db, names)]);
  return {
    ...presentSummary(known),
    partitions: partitions.map((p) => ({ ...presentWrite(p), writes: p.writes })),
    checks: checks.map(({ taskInstanceId: _ti, tryNumber: _try, dataset: _ds, ...c }) => ({ ...c, checkedAt: c.checkedAt.toISOString() })),
  };
}

/** The partition as a lineage key. @throws HttpError 404 when it was never written nor read. */
async function mustFindPartition(rt: Runtime, uri: string, partition: string): Promise<{ key: PartitionKey; history: StoredWrite[] }> {
  const datasetId = await findDatasetId(rt.db, uri);
  if (datasetId === undefined) throw new HttpError(404, "not_found", `no dataset ${uri} was written or read`);
  const history = await writesOfPartition(rt.db, datasetId, partition, HISTORY_LIMIT);
  if (history.length === 0 && !(await partitionWasRead(rt.db, datasetId, partition))) {
    throw new HttpError(404, "not_found", `partition ${partition} of ${uri} was never written nor read`);
  }
  return { key: { datasetId, uri, partition }, history };
}

async function partitionDetail(rt: Runtime, query: unknown): Promise<PartitionDetailResponse> {
  const { uri, partition } = parseWith(PartitionQuerySchema, query, "query");
  const { key, history } = await mustFindPartition(rt, uri, partition);
  const [up, down] = await Promise.all([upstreamOfPartition(rt.db, key), downstreamOfPartition(rt.db, key)]);
  return {
    uri,
    partition,
    history: history.map(presentWrite),
    upstream: { root: up.root, partitions: up.partitions.map(presentNode), edges: up.edges, truncated: up.truncated },
    downstream: presentImpact(down),
  };
}

async function reprocess(rt: Runtime, body: unknown, res: Response): Promise<ReprocessResponse> {
  const req = parseWith(ReprocessRequestSchema, body, "body");
  const { key } = await mustFindPartition(rt, req.uri, req.partition);
  const result = await reprocessPartition(rt.db, key, { dryRun: req.dryRun, requestedBy: principalOf(res).user.username }, rt.dispatch);
  if (!req.dryRun) {
    await recordAction(rt.db, res, "lineage.reprocess", `partition:${req.uri}|${req.partition}`, {
      cleared: result.cleared.map((t) => ({ id: t.id, dagId: t.dagId, taskId: t.taskId, dagRunId: t.dagRunId })),
      skipped: result.skipped.map((t) => t.id),
      waiting: result.waiting.map((t) => t.id),
      reprocessId: result.reprocessId,
    });
  }
  return { dryRun: req.dryRun, cleared: result.cleared, skipped: result.skipped, waiting: result.waiting, reprocessId: result.reprocessId };
}

async function reprocessDetail(rt: Runtime, id: number): Promise<ReprocessDetailResponse> {
  const r = await getReprocess(rt.db, id);
  if (!r) throw new HttpError(404, "not_found", `no reprocess ${id}`);
  return {
    ...r,
    createdAt: r.createdAt.toISOString(),
    finishedAt: r.finishedAt?.toISOString() ?? null,
    runs: r.runs.map((run) => ({ ...run, releasedAt: run.releasedAt?.toISOString() ?? null })),
  };
}

/** `/api/lineage/*` (mounted after `authenticate`): reads for viewers, reprocess for operators (audited). */
export function lineageRouter(rt: Runtime): Router {
  const r = Router();
  r.get("/lineage/graph", async (req, res) => void res.json(await graph(rt, req.query)));
  r.get("/lineage/datasets", async (_req, res) => void res.json(await datasets(rt)));
  r.get("/lineage/dataset", async (req, res) => void res.json(await dataset(rt, req.query)));
  r.get("/lineage/partition", async (req, res) => void res.json(await partitionDetail(rt, req.query)));
  r.post("/lineage/reprocess", requireRole("operator"), async (req, res) => void res.json(await reprocess(rt, req.body, res)));
  r.get("/lineage/reprocesses/:id", async (req, res) => void res.json(await reprocessDetail(rt, idParam(req, "id"))));
  return r;
}
