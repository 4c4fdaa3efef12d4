import type { PartitionDetailResponse, PartitionNode, Writer } from "../api/types";
import { dagPath, Link } from "../router";
import { PartitionLink, WrittenAt } from "./LineageLinks";
import { UNPARTITIONED, taskKeyLabel } from "./lineagePaths";

type Upstream = PartitionDetailResponse["upstream"];

/** Deeper than this the tree stops (lineage is rarely deep; a cycle would be infinite). */
const MAX_DEPTH = 25;

interface Parent {
  id: string;
  via: Writer;
}

function NodeLine({ node, via, isRoot }: { node: PartitionNode | undefined; via: Writer | undefined; isRoot: boolean }) {
  if (!node) return <span className="muted">unknown partition</span>;
  return (
    <span className="upstream-line">
      {isRoot ? (
        <span className="partition-link" aria-current="page">
          <span className="mono dataset-uri" title={node.uri}>
            {node.uri}
          </span>
          <span className="sr-only"> partition </span>
          <span className="partition-chip mono">{node.partition ?? UNPARTITIONED}</span>
          <span className="muted small"> (this partition)</span>
        </span>
      ) : (
        <PartitionLink uri={node.uri} partition={node.partition} />
      )}
      {node.lastWrite ? (
        <span className="muted small">
          written <WrittenAt iso={node.lastWrite.writtenAt} />
        </span>
      ) : (
        <span className="muted small">never written through Runnel</span>
      )}
      {via && (
        <span className="muted small upstream-via">
          read by{" "}
          <Link to={dagPath(via.dagId)} className="mono">
            {taskKeyLabel(via)}
          </Link>
        </span>
      )}
    </span>
  );
}

function Branch({ id, via, parents, nodes, path, isRoot }: { id: string; via: Writer | undefined; parents: Map<string, Parent[]>; nodes: Map<string, PartitionNode>; path: ReadonlySet<string>; isRoot: boolean }) {
  const next = (parents.get(id) ?? []).filter((p) => !path.has(p.id));
  const deeper = new Set(path).add(id);
  return (
    <li>
      <NodeLine node={nodes.get(id)} via={via} isRoot={isRoot} />
      {next.length > 0 &&
        (deeper.size >= MAX_DEPTH ? (
          <p className="muted small">… and more upstream</p>
        ) : (
          <ul className="upstream-children">
            {next.map((p) => (
              <Branch key={`${p.id}|${taskKeyLabel(p.via)}`} id={p.id} via={p.via} parents={parents} nodes={nodes} path={deeper} isRoot={false} />
            ))}
          </ul>
        ))}
    </li>
  );
}

/**
 * The partitions this one was computed from, as a tree rooted at it: each level lists the inputs
 * of the write that produced the level above. A partition used twice appears under each user.
 */
export function UpstreamTree({ upstream }: { upstream: Upstream }) {
  const nodes = new Map(upstream.partitions.map((p) => [p.id, p]));
  const parents = new Map<string, Parent[]>();
  for (const e of upstream.edges) {
    const list = parents.get(e.to) ?? [];
    list.push({ id: e.from, via: e.via });
    parents.set(e.to, list);
  }
  const hasInputs = (parents.get(upstream.root) ?? []).length > 0;
  return (
    <section className="card lineage-section" aria-labelledby="lineage-upstream-title">
      <div className="card-head">
        <h3 id="lineage-upstream-title" className="section-title">
          Upstream
        </h3>
        <span className="muted small">What this partition was computed from</span>
      </div>
      <div className="card-pad">
        <ul className="upstream-tree" aria-label="Upstream partitions">
          <Branch id={upstream.root} via={undefined} parents={parents} nodes={nodes} path={new Set()} isRoot />
        </ul>
        {!hasInputs && <p className="muted small">No recorded inputs: the task that wrote it read nothing through Runnel.</p>}
      </div>
    </section>
  );
}
