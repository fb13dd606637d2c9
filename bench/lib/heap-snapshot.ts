// Reads a V8 heap snapshot (.heapsnapshot, as `--heapsnapshot-signal` writes it) and says what holds
// the memory, the way Chrome DevTools' "retained size" does: the dominator tree of the object graph
// (Cooper, Harvey & Kennedy's iterative algorithm; weak edges do not retain), each object's retained
// size, the largest holders with the path that keeps them alive, and live bytes by kind of object.
import { readFileSync } from "node:fs";

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
    node_count: number;
    edge_count: number;
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface Holder {
  /** `Map`, `(closure) handler`, `string`, … */
  what: string;
  selfBytes: number;
  retainedBytes: number;
  /** From a GC root to this object, by the edges that hold it (the dominator chain). */
  path: string;
}

export interface HeapSummary {
  nodes: number;
  totalBytes: number;
  /** Live bytes by node type and constructor, largest first. */
  byKind: { kind: string; count: number; selfBytes: number }[];
  /** Where memory accumulates (see below), largest first. */
  holders: Holder[];
}

export function summarizeHeapSnapshot(path: string, top = 15): HeapSummary {
  const raw = JSON.parse(readFileSync(path, "utf8")) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nodeFieldCount = meta.node_fields.length;
  const edgeFieldCount = meta.edge_fields.length;
  const typeField = meta.node_fields.indexOf("type");
  const nameField = meta.node_fields.indexOf("name");
  const selfField = meta.node_fields.indexOf("self_size");
  const edgeCountField = meta.node_fields.indexOf("edge_count");
  const edgeTypeField = meta.edge_fields.indexOf("type");
  const edgeNameField = meta.edge_fields.indexOf("name_or_index");
  const edgeToField = meta.edge_fields.indexOf("to_node");
  const nodeTypes = meta.node_types[0];
  const edgeTypes = meta.edge_types[0];
  const weak = edgeTypes.indexOf("weak");
  const elementEdge = edgeTypes.indexOf("element");
  const hiddenEdge = edgeTypes.indexOf("hidden");
  const { nodes, edges, strings } = raw;
  const n = nodes.length / nodeFieldCount;

  // Edges of node i are firstEdge[i] .. firstEdge[i + 1] (indexes into `edges`, in fields).
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i += 1) {
    firstEdge[i] = e;
    e += (nodes[i * nodeFieldCount + edgeCountField] as number) * edgeFieldCount;
    firstEdge[i + 1] = e;
  }
  const target = (e: number) => (edges[e + edgeToField] as number) / nodeFieldCount;
  const strong = (e: number) => edges[e + edgeTypeField] !== weak;

  // Postorder from the root (node 0), iteratively.
  const order = new Int32Array(n).fill(-1);
  const postorder = new Uint32Array(n);
  const visited = new Uint8Array(n);
  const stack = new Uint32Array(n);
  const cursor = new Uint32Array(n);
  let count = 0;
  let depth = 0;
  stack[0] = 0;
  cursor[0] = firstEdge[0] as number;
  visited[0] = 1;
  while (depth >= 0) {
    const node = stack[depth] as number;
    const end = firstEdge[node + 1] as number;
    let pushed = false;
    while ((cursor[node] as number) < end) {
      const e = cursor[node] as number;
      cursor[node] = e + edgeFieldCount;
      if (!strong(e)) continue;
      const next = target(e);
      if (visited[next]) continue;
      visited[next] = 1;
      depth += 1;
      stack[depth] = next;
      cursor[next] = firstEdge[next] as number;
      pushed = true;
      break;
    }
    if (!pushed) {
      order[node] = count;
      postorder[count] = node;
      count += 1;
      depth -= 1;
    }
  }

  // Predecessors (strong edges between reachable nodes), in compressed rows.
  const predecessorCount = new Uint32Array(n + 1);
  for (let i = 0; i < n; i += 1) {
    if (!visited[i]) continue;
    for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += edgeFieldCount) {
      if (strong(e)) predecessorCount[target(e) + 1] = (predecessorCount[target(e) + 1] as number) + 1;
    }
  }
  for (let i = 0; i < n; i += 1)
    predecessorCount[i + 1] = (predecessorCount[i + 1] as number) + (predecessorCount[i] as number);
  const predecessors = new Uint32Array(predecessorCount[n] as number);
  const fill = predecessorCount.slice();
  for (let i = 0; i < n; i += 1) {
    if (!visited[i]) continue;
    for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += edgeFieldCount) {
      if (!strong(e)) continue;
      const t = target(e);
      predecessors[fill[t] as number] = i;
      fill[t] = (fill[t] as number) + 1;
    }
  }

  // Immediate dominators, in postorder numbers.
  const idom = new Int32Array(count).fill(-1);
  const rootPo = order[0] as number;
  idom[rootPo] = rootPo;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (a < b) a = idom[a] as number;
      while (b < a) b = idom[b] as number;
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let po = count - 1; po >= 0; po -= 1) {
      if (po === rootPo) continue;
      const node = postorder[po] as number;
      let dom = -1;
      for (let p = predecessorCount[node] as number; p < (predecessorCount[node + 1] as number); p += 1) {
        const pred = order[predecessors[p] as number] as number;
        if (pred < 0 || idom[pred] === -1) continue;
        dom = dom === -1 ? pred : intersect(pred, dom);
      }
      if (dom !== -1 && idom[po] !== dom) {
        idom[po] = dom;
        changed = true;
      }
    }
  }

  const self = (node: number) => nodes[node * nodeFieldCount + selfField] as number;
  const retained = new Float64Array(count);
  for (let po = 0; po < count; po += 1)
    retained[po] = (retained[po] as number) + self(postorder[po] as number);
  for (let po = 0; po < count; po += 1) {
    if (po === rootPo) continue;
    const parent = idom[po] as number;
    if (parent >= 0) retained[parent] = (retained[parent] as number) + (retained[po] as number);
  }

  const describe = (node: number) => {
    const type = nodeTypes[nodes[node * nodeFieldCount + typeField] as number] ?? "?";
    const name = strings[nodes[node * nodeFieldCount + nameField] as number] ?? "";
    if (type === "string" || type === "concatenated string" || type === "sliced string") return "string";
    if (type === "object" || type === "native") return name.slice(0, 60);
    return `(${type}) ${name.slice(0, 40)}`;
  };
  // The name of the edge from `from` to `to`, e.g. `.queue`, `[3]`, `(internal)`.
  const edgeName = (from: number, to: number) => {
    for (let e = firstEdge[from] as number; e < (firstEdge[from + 1] as number); e += edgeFieldCount) {
      if (target(e) !== to) continue;
      const type = edges[e + edgeTypeField] as number;
      const name = edges[e + edgeNameField] as number;
      if (type === elementEdge || type === hiddenEdge) return `[${name}]`;
      return `.${strings[name] ?? name}`;
    }
    return "";
  };
  const pathTo = (node: number) => {
    const chain: number[] = [];
    for (let po = order[node] as number; po !== rootPo && po >= 0; po = idom[po] as number) {
      chain.push(postorder[po] as number);
    }
    chain.reverse();
    const parts: string[] = [];
    let from = 0;
    for (const step of chain.slice(-6)) {
      parts.push(`${edgeName(from, step) || "→"} ${describe(step)}`);
      from = step;
    }
    return `${chain.length > 6 ? "… " : ""}${parts.join(" ")}`;
  };

  const kinds = new Map<string, { count: number; selfBytes: number }>();
  let totalBytes = 0;
  for (let po = 0; po < count; po += 1) {
    const node = postorder[po] as number;
    const kind = describe(node);
    const entry = kinds.get(kind) ?? { count: 0, selfBytes: 0 };
    entry.count += 1;
    entry.selfBytes += self(node);
    kinds.set(kind, entry);
    totalBytes += self(node);
  }

  // Where memory accumulates: objects whose retained size is spread over many children (none holds
  // half of it), as a queue, a map or a cache is, rather than passed down one chain. The largest
  // such holders, skipping GC-root bookkeeping and any holder nested in one already listed.
  const largestChild = new Float64Array(count);
  for (let po = 0; po < count; po += 1) {
    const parent = idom[po] as number;
    if (po !== rootPo && parent >= 0)
      largestChild[parent] = Math.max(largestChild[parent] as number, retained[po] as number);
  }
  const candidates = Array.from({ length: count }, (_, po) => po)
    .filter((po) => {
      const type = nodeTypes[nodes[(postorder[po] as number) * nodeFieldCount + typeField] as number];
      return (
        po !== rootPo && type !== "synthetic" && (largestChild[po] as number) < 0.5 * (retained[po] as number)
      );
    })
    .sort((a, b) => (retained[b] as number) - (retained[a] as number));
  const listed: number[] = [];
  const holders: Holder[] = [];
  for (const po of candidates) {
    if (holders.length >= top) break;
    let nested = false;
    for (let up = idom[po] as number; up !== rootPo && up >= 0; up = idom[up] as number) {
      if (listed.includes(up)) {
        nested = true;
        break;
      }
    }
    if (nested) continue;
    listed.push(po);
    const node = postorder[po] as number;
    holders.push({
      what: describe(node),
      selfBytes: self(node),
      retainedBytes: retained[po] as number,
      path: pathTo(node),
    });
  }

  return {
    nodes: count,
    totalBytes,
    byKind: [...kinds.entries()]
      .map(([kind, v]) => ({ kind, ...v }))
      .sort((a, b) => b.selfBytes - a.selfBytes)
      .slice(0, 25),
    holders,
  };
}
