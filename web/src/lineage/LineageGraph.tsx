import dagre from "@dagrejs/dagre";
import { Background, Controls, MarkerType, ReactFlow, type Edge, type Node, type Viewport } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo, useRef } from "react";
import type { LineageEdge, LineageGraphResponse, LineageNode } from "../api/types";
import { dagPath, Link, navigate } from "../router";
import { datasetPath } from "./lineagePaths";
import { WrittenAt } from "./LineageLinks";

const NODE_H = 44;
/** Icon, gaps and padding around a node's text. */
const NODE_CHROME = 52;
/** Width of one character of the node's monospace name (12.5px) and of its meta line (11px). */
const NAME_CHAR = 7.6;
const META_CHAR = 6.7;

/** Wide enough for its name and meta line, within bounds: a longer name is cut with an ellipsis (whole in its title). */
function nodeSize(n: LineageNode): { w: number; h: number } {
  const [name, meta] = n.kind === "dataset" ? [n.uri, `${n.partitionCount} partitions · 10 d ago`] : [n.taskId, n.dagId];
  const text = Math.max(name.length * NAME_CHAR, meta.length * META_CHAR);
  return { w: Math.round(Math.min(300, Math.max(140, text + NODE_CHROME))), h: NODE_H };
}
/**
 * Lineage graphs are wide (every dataset is a rank of its own). The graph opens fitted to the
 * canvas unless that would make names unreadable: then at MIN_READABLE_ZOOM from its left end
 * (the sources), to be panned; the controls' fit button still shows all of it.
 */
const VIEW = { minReadableZoom: 0.75, maxZoom: 1.1, left: 56, pad: 16, minHeight: 300, maxHeight: 620, assumedWidth: 1380 };

/** The canvas height the graph needs at the zoom it will open at. */
function canvasHeight(width: number, height: number): number {
  const zoom = Math.max(VIEW.minReadableZoom, Math.min(VIEW.maxZoom, (VIEW.assumedWidth - VIEW.left - VIEW.pad) / Math.max(width, 1)));
  return Math.round(Math.min(VIEW.maxHeight, Math.max(VIEW.minHeight, height * zoom + 2 * VIEW.pad)));
}

/** Where the graph opens in a canvas of `w` x `h` px (leaving room on the left for the zoom controls). */
function openingViewport(w: number, h: number, width: number, height: number): Viewport {
  const fit = Math.min(VIEW.maxZoom, (w - VIEW.left - VIEW.pad) / Math.max(width, 1), (h - 2 * VIEW.pad) / Math.max(height, 1));
  const zoom = Math.max(fit, Math.min(VIEW.minReadableZoom, VIEW.maxZoom));
  const x = zoom === fit ? VIEW.left + (w - VIEW.left - VIEW.pad - width * zoom) / 2 : VIEW.left;
  return { x, y: (h - height * zoom) / 2, zoom };
}

/** Left-to-right layered layout: producers left of their datasets, consumers right of them. */
function layout(graph: LineageGraphResponse): { at: Map<string, { x: number; y: number }>; sizes: Map<string, { w: number; h: number }>; width: number; height: number } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 44, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const sizes = new Map(graph.nodes.map((n) => [n.id, nodeSize(n)]));
  for (const n of graph.nodes) g.setNode(n.id, { width: sizes.get(n.id)?.w, height: NODE_H });
  for (const e of graph.edges) if (g.hasNode(e.from) && g.hasNode(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const at = new Map<string, { x: number; y: number }>();
  for (const n of graph.nodes) {
    const p = g.node(n.id);
    at.set(n.id, { x: p.x - p.width / 2, y: p.y - p.height / 2 });
  }
  const { width = 0, height = 0 } = g.graph();
  return { at, sizes, width, height };
}


function DatasetIcon() {
  return (
    <svg className="lineage-node-icon" viewBox="0 0 16 16" aria-hidden="true">
      <ellipse cx="8" cy="3.5" rx="6" ry="2.2" />
      <path d="M2 3.5v9c0 1.2 2.7 2.2 6 2.2s6-1 6-2.2v-9M2 8c0 1.2 2.7 2.2 6 2.2s6-1 6-2.2" />
    </svg>
  );
}

function TaskIcon() {
  return (
    <svg className="lineage-node-icon" viewBox="0 0 16 16" aria-hidden="true">
      <rect x="1.5" y="2.5" width="13" height="11" rx="2" />
      <path d="M6 5.5l4 2.5-4 2.5z" />
    </svg>
  );
}

function NodeLabel({ node }: { node: LineageNode }) {
  if (node.kind === "dataset") {
    return (
      <span className="lineage-node-body">
        <DatasetIcon />
        <span className="lineage-node-text">
          <Link to={datasetPath(node.uri)} className="lineage-node-link mono" title={node.uri}>
            {node.uri}
          </Link>
          <span className="lineage-node-meta">
            {node.partitionCount} partition{node.partitionCount === 1 ? "" : "s"}
            {node.lastWrittenAt && (
              <>
                {" · "}
                <WrittenAt iso={node.lastWrittenAt} />
              </>
            )}
          </span>
        </span>
      </span>
    );
  }
  return (
    <span className="lineage-node-body">
      <TaskIcon />
      <span className="lineage-node-text">
        <Link to={dagPath(node.dagId)} className="lineage-node-link mono" title={`${node.dagId}.${node.taskId}`} aria-label={`Task ${node.dagId}.${node.taskId}`}>
          {node.taskId}
        </Link>
        <span className="lineage-node-meta mono" aria-hidden="true">
          {node.dagId}
        </span>
      </span>
    </span>
  );
}

/** How an edge was seen: in the task's declaration, in a recorded write or read, or both. */
function edgeKind(e: LineageEdge): { className: string; words: string } {
  if (e.declared && e.observed) return { className: "lineage-edge", words: "declared and observed" };
  if (e.declared) return { className: "lineage-edge edge-declared-only", words: "declared only, never observed" };
  return { className: "lineage-edge edge-undeclared", words: "observed, not declared" };
}

const nodeName = (n: LineageNode | undefined): string => (!n ? "?" : n.kind === "dataset" ? n.uri : `${n.dagId}.${n.taskId}`);

function Legend() {
  return (
    <ul className="lineage-legend small muted" aria-label="Legend">
      <li>
        <span className="legend-node legend-dataset" aria-hidden="true" /> dataset
      </li>
      <li>
        <span className="legend-node legend-task" aria-hidden="true" /> task
      </li>
      <li>
        <svg className="legend-line" viewBox="0 0 28 6" aria-hidden="true">
          <line x1="0" y1="3" x2="28" y2="3" />
        </svg>
        observed (written or read)
      </li>
      <li>
        <svg className="legend-line legend-dashed" viewBox="0 0 28 6" aria-hidden="true">
          <line x1="0" y1="3" x2="28" y2="3" />
        </svg>
        declared only
      </li>
      <li>
        <svg className="legend-line legend-undeclared" viewBox="0 0 28 6" aria-hidden="true">
          <line x1="0" y1="3" x2="28" y2="3" />
        </svg>
        observed, not declared
      </li>
      <li className="lineage-legend-hint">Drag to pan; scroll or use + and − to zoom.</li>
    </ul>
  );
}

/** Datasets and the tasks that write (task → dataset) and read (dataset → task) them. */
export function LineageGraph({ graph, label }: { graph: LineageGraphResponse; label: string }) {
  const { at: positions, sizes, width, height } = useMemo(() => layout(graph), [graph]);
  const byId = useMemo(() => new Map(graph.nodes.map((n) => [n.id, n])), [graph]);
  const canvas = useRef<HTMLDivElement>(null);

  const nodes: Node[] = graph.nodes.map((n) => ({
    id: n.id,
    position: positions.get(n.id) ?? { x: 0, y: 0 },
    data: { label: <NodeLabel node={n} /> },
    className: `graph-node lineage-node lineage-${n.kind}`,
    width: sizes.get(n.id)?.w ?? 200,
    height: NODE_H,
    sourcePosition: "right" as Node["sourcePosition"],
    targetPosition: "left" as Node["targetPosition"],
    connectable: false,
    draggable: false,
    selectable: false,
    // The link inside is the focus stop, not the node box.
    focusable: false,
  }));
  const edges: Edge[] = graph.edges
    .filter((e) => byId.has(e.from) && byId.has(e.to))
    .map((e) => {
      const kind = edgeKind(e);
      return {
        id: `${e.from}->${e.to}`,
        source: e.from,
        target: e.to,
        type: "default",
        className: kind.className,
        markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
        focusable: false,
        ariaLabel: `${nodeName(byId.get(e.from))} to ${nodeName(byId.get(e.to))}: ${kind.words}`,
      };
    });

  return (
    <>
      <div ref={canvas} className="graph-canvas lineage-canvas" role="figure" aria-label={label} style={{ height: canvasHeight(width, height) }}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          onInit={(flow) => {
            const el = canvas.current;
            if (el) void flow.setViewport(openingViewport(el.clientWidth, el.clientHeight, width, height));
          }}
          maxZoom={2}
          minZoom={0.2}
          nodesConnectable={false}
          nodesDraggable={false}
          elementsSelectable={false}
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_e, node) => {
            const n = byId.get(node.id);
            if (n) navigate(n.kind === "dataset" ? datasetPath(n.uri) : dagPath(n.dagId));
          }}
        >
          <Background gap={20} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <Legend />
    </>
  );
}
