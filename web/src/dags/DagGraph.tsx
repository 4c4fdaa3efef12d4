import dagre from "@dagrejs/dagre";
import { Background, Controls, ReactFlow, type Edge, type Node } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { DagDetail, TaskState } from "../api/types";
import { navigate, withSearch } from "../router";
import { useRun } from "../runs/useRuns";
import { taskStateStyle } from "../ui/taskStateStyle";
import { RunPicker } from "./RunPicker";
import { useDagGrid } from "./useDags";

const NODE_W = 190;
const NODE_H = 44;

/** Left-to-right layered layout of the task graph. */
function layout(dag: DagDetail): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 60, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of dag.graph.nodes) g.setNode(n.taskId, { width: NODE_W, height: NODE_H });
  for (const e of dag.graph.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const at = new Map<string, { x: number; y: number }>();
  for (const n of dag.graph.nodes) {
    const p = g.node(n.taskId);
    at.set(n.taskId, { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 });
  }
  return at;
}

/** The task graph, coloured by the selected run (default: the latest). */
export function DagGraph({ dag, selectedRun }: { dag: DagDetail; selectedRun: string | undefined }) {
  const grid = useDagGrid(dag.dagId);
  const runs = grid.data?.pages.flatMap((p) => p.runs) ?? [];
  const runId = selectedRun ?? (runs[0] ? String(runs[0].dagRunId) : undefined);
  const run = useRun(runId);
  const positions = useMemo(() => layout(dag), [dag]);

  const states = new Map<string, { state: TaskState; id: number }>();
  for (const ti of run.data?.taskInstances ?? []) states.set(ti.taskId, { state: ti.state, id: ti.id });

  const nodes: Node[] = dag.graph.nodes.map((n) => {
    const s = states.get(n.taskId);
    const style = s ? taskStateStyle(s.state) : undefined;
    return {
      id: n.taskId,
      position: positions.get(n.taskId) ?? { x: 0, y: 0 },
      data: {
        label: (
          <span className="graph-node-label">
            <span className="graph-node-glyph" aria-hidden="true">
              {style?.glyph ?? "○"}
            </span>
            <span className="mono">{n.taskId}</span>
            <span className="sr-only">: {style?.label ?? "no run"}</span>
          </span>
        ),
      },
      className: `graph-node ${style?.className ?? "state-none"}`,
      width: NODE_W,
      height: NODE_H,
      sourcePosition: "right" as Node["sourcePosition"],
      targetPosition: "left" as Node["targetPosition"],
      connectable: false,
      draggable: false,
      ariaLabel: `${n.taskId}: ${style?.label ?? "no run selected"}`,
    } satisfies Node;
  });
  const edges: Edge[] = dag.graph.edges.map((e) => ({ id: `${e.from}->${e.to}`, source: e.from, target: e.to, type: "smoothstep" }));

  return (
    <div className="card">
      <div className="card-head graph-head">
        <RunPicker runs={runs} value={runId} />
        <span className="muted small">Click a task to open it.</span>
      </div>
      <div className="graph-canvas" aria-label={`Graph of ${dag.dagId}`} role="figure">
        <ReactFlow
          nodes={nodes}
          edges={edges}
          fitView
          fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
          nodesConnectable={false}
          nodesDraggable={false}
          proOptions={{ hideAttribution: true }}
          onNodeClick={(_e, node) => {
            const s = states.get(node.id);
            if (s) navigate(withSearch({ ti: String(s.id), run: runId }));
          }}
        >
          <Background gap={20} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
    </div>
  );
}
