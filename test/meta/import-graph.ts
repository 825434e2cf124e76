/**
 * The import graph of src/ (test files left out), read from the sources: static imports and
 * re-exports, and dynamic `import('…')` with a literal specifier. Used by layers.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ImportEdge {
  /** Importing file, relative to the repo root (`src/io/server.ts`). */
  from: string;
  /** A file of src/ relative to the repo root, or the bare specifier of a package or builtin. */
  to: string;
  /** `import type …` / `export type … from` (erased at run time). */
  typeOnly: boolean;
  line: number;
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

export function readImportGraph(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(IMPORT)) {
          const spec = m[2] ?? m[3]!;
          const line = text.slice(0, m.index).split('\n').length;
          const from = relative(root, path);
          const to = spec.startsWith('.') ? relative(root, resolve(dirname(path), spec)) : spec;
          edges.push({ from, to, typeOnly: Boolean(m[1]), line });
        }
      }
    }
  };
  walk(join(root, 'src'));
  return edges;
}

/** Every import circle among src/ files (each as the list of files, first repeated last). */
export function findCycles(edges: ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.to.startsWith('src/')) (next.get(e.from) ?? next.set(e.from, new Set()).get(e.from)!).add(e.to);
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(m)), m];
        const key = [...cycle.slice(0, -1)].sort().join(' ');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...next.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}
