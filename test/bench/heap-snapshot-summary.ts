/**
 * Sums a V8 heap snapshot by the module that holds each object: an object belongs to the
 * script of its closest dominator that is a script, a function, a closure or a module record
 * (ES module or CommonJS `Module`), so a module's code, its source text and everything only
 * its variables keep alive count as its own. What no module holds is summed by type.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[]];
      edge_fields: string[];
      edge_types: [string[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export interface HeapSummary {
  /** Bytes of every object reachable from the root. */
  total: number;
  /** Bytes by script URL (or `(no module) <type>`). */
  byModule: Map<string, number>;
}

export function summarizeHeapSnapshot(file: string): HeapSummary {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const meta = s.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const weak = meta.edge_types[0].indexOf('weak');
  const named = new Set(
    ['context', 'property', 'internal', 'shortcut', 'weak'].map((t) =>
      meta.edge_types[0].indexOf(t),
    ),
  );
  const n = s.nodes.length / nf;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i <= n; i++) {
    firstEdge[i] = e;
    if (i < n) e += s.nodes[i * nf + 4]! * ef;
  }
  const type = (i: number) => meta.node_types[0][s.nodes[i * nf]!]!;
  const name = (i: number) => s.strings[s.nodes[i * nf + 1]!]!;
  const size = (i: number) => s.nodes[i * nf + 3]!;
  const target = (e: number) => s.edges[e + 2]! / nf;
  const child = (i: number, edge: string) => {
    if (i < 0) return -1;
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += ef)
      if (named.has(s.edges[e]!) && s.strings[s.edges[e + 1]!] === edge) return target(e);
    return -1;
  };

  // Post-order over strong edges from the root, then dominators (Cooper, Harvey, Kennedy).
  const order = new Int32Array(n).fill(-1);
  const post: number[] = [];
  const cursor = Uint32Array.from(firstEdge.subarray(0, n));
  const stack = [0];
  order[0] = -2;
  while (stack.length) {
    const v = stack[stack.length - 1]!;
    if (cursor[v]! < firstEdge[v + 1]!) {
      const e = cursor[v]!;
      cursor[v] = e + ef;
      const w = target(e);
      if (s.edges[e] !== weak && order[w] === -1) {
        order[w] = -2;
        stack.push(w);
      }
    } else {
      order[v] = post.length;
      post.push(v);
      stack.pop();
    }
  }
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const v of post)
    for (let e = firstEdge[v]!; e < firstEdge[v + 1]!; e += ef)
      if (s.edges[e] !== weak) preds[target(e)]!.push(v);
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  for (let changed = true; changed; ) {
    changed = false;
    for (let k = post.length - 2; k >= 0; k--) {
      const v = post[k]!;
      let d = -1;
      for (const p of preds[v]!) {
        if (idom[p] === -1) continue;
        let a = p;
        let b = d === -1 ? p : d;
        while (a !== b) {
          while (order[a]! < order[b]!) a = idom[a]!;
          while (order[b]! < order[a]!) b = idom[b]!;
        }
        d = a;
      }
      if (d !== idom[v]) {
        idom[v] = d;
        changed = true;
      }
    }
  }

  // The script of each owning node: scripts, functions, closures, generators, module records.
  const scriptOf = (fn: number) => {
    const script = child(fn, 'script_or_debug_info');
    return script >= 0 && type(script) === 'code' ? name(script) : undefined;
  };
  const owner = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    let url: string | undefined;
    const t = type(i);
    if (t === 'code') url = child(i, 'source') >= 0 ? name(i) : scriptOf(i);
    else if (t === 'closure') url = scriptOf(child(i, 'shared'));
    else if (t === 'object' && name(i) === 'Generator')
      url = scriptOf(child(child(i, 'function'), 'shared'));
    else if (t === 'object' && name(i) === 'Module') {
      const filename = child(i, 'filename');
      if (filename >= 0 && type(filename) === 'string') url = name(filename);
    }
    if (url) owner.set(i, url);
  }
  for (let i = 0; i < n; i++) {
    if (name(i) !== 'system / SourceTextModule') continue;
    for (let e = firstEdge[i]!; e < firstEdge[i + 1]!; e += ef) {
      const url = name(target(e)) === 'Generator' ? owner.get(target(e)) : undefined;
      if (url) owner.set(i, url);
    }
  }

  const byModule = new Map<string, number>();
  let total = 0;
  for (const v of post) {
    let d = v;
    let url = owner.get(d);
    while (url === undefined && d !== 0) {
      d = idom[d]!;
      url = owner.get(d);
    }
    const key = url ?? `(no module) ${type(v)}`;
    byModule.set(key, (byModule.get(key) ?? 0) + size(v));
    total += size(v);
  }
  return { total, byModule };
}

/** The package (or Node internal area, or workspace folder) a script URL belongs to. */
export function packageOf(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (dependency) return dependency[1]!;
  const builtin = /^node:(?:internal\/)?(?:deps\/)?([^/]+)/.exec(path);
  if (builtin) return `node:${builtin[1]}`;
  const workspace = /\/(shared|edge|signaling)\/(?:dist|src)\/([\w-]+)/.exec(path);
  if (workspace) return `${workspace[1]}/${workspace[2]!.replace(/\.js$/, '')}`;
  return path;
}

/** Bytes by package, largest first. */
export function byPackage(summary: HeapSummary): [string, number][] {
  const packages = new Map<string, number>();
  for (const [url, bytes] of summary.byModule) {
    const key = packageOf(url);
    packages.set(key, (packages.get(key) ?? 0) + bytes);
  }
  return [...packages].sort((a, b) => b[1] - a[1]);
}
