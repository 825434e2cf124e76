/**
 * Summarises a V8 `.cpuprofile` (from `npm run bench -- --profile`, i.e. `node --cpu-prof`): self time
 * by function and by source area (Portcullis' own modules, undici, node internals, GC, idle).
 *
 * Usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: profile-summary.ts FILE.cpuprofile [--top N]\n');
  process.exit(2);
}
const topN = Number(process.argv[process.argv.indexOf('--top') + 1]) || 30;
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
const busy = total - idle;

function area(url: string, fn: string): string {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(program)') return '(program: native, not attributed)';
  if (fn === '(idle)') return 'idle';
  if (url.includes('/src/')) return `portcullis ${url.slice(url.indexOf('/src/') + 1)}`;
  if (url.includes('node_modules/undici')) return 'undici';
  if (url.includes('node_modules/tsx')) return 'tsx loader';
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').slice(0, 2).join('/')}`;
  if (url === '') return `native ${fn}`;
  return url.replace(/^file:\/\/.*node_modules\//, '');
}

const fnTimes = new Map<string, number>();
const areaTimes = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  if (functionName === '(idle)') continue;
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${lineNumber + 1}`;
  fnTimes.set(key, (fnTimes.get(key) ?? 0) + t);
  const a = area(url, functionName);
  areaTimes.set(a, (areaTimes.get(a) ?? 0) + t);
}
const pct = (t: number) => ((t / busy) * 100).toFixed(1).padStart(5);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy (percentages of busy time)\n\n`);
process.stdout.write('| self % | area |\n|---:|---|\n');
for (const [a, t] of [...areaTimes].sort((x, y) => y[1] - x[1]).slice(0, 25)) process.stdout.write(`| ${pct(t)} | ${a} |\n`);
process.stdout.write('\n| self % | function |\n|---:|---|\n');
for (const [f, t] of [...fnTimes].sort((x, y) => y[1] - x[1]).slice(0, topN)) process.stdout.write(`| ${pct(t)} | \`${f}\` |\n`);
