/**
 * @module io/source-watch — calls back when a handler's source (or anything beside it) changes. [io]
 *
 * `portcullis start --watch` reloads the config when one of these files changes: the new generation
 * starts new Lambda environments (worker threads with an empty module cache), so the next request
 * runs the new code while requests in flight finish on the old environments.
 *
 * What is watched: every directory under the given roots except `node_modules` and dot-directories
 * (`.git`, `.serverless`, `.portcullis`, `.esbuild`), one non-recursive `fs.watch` per directory (a
 * recursive watch would walk node_modules too); directories created later are added. What counts:
 * files ending in .ts, .mts, .cts, .js, .mjs, .cjs, .json — a handler and whatever it imports
 * from the service's own tree — and .yml/.yaml and `.env` files (a serverless.yml's `${file()}` and
 * `useDotenv` sources).
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';

const SOURCE_FILE = /\.(ts|mts|cts|js|mjs|cjs|json|ya?ml)$|^\.env(\.[\w-]+)?$/;

export interface SourceWatchOptions {
  /** Quiet period after the last change before `onChange` runs. Default is 40 ms. */
  debounceMs?: number;
  /** Files whose changes are someone else's business (the config file itself). */
  ignore?: readonly string[];
  /** Most directories watched (a root pointed at a whole disk by mistake). Default is 2000. */
  maxDirectories?: number;
}

export interface SourceWatcher {
  /** Directories being watched. */
  readonly directories: number;
  close(): void;
}

/** Watches `roots` and calls `onChange` with the changed files, once per burst of changes. */
export function watchSources(roots: readonly string[], onChange: (files: string[]) => void, options: SourceWatchOptions = {}): SourceWatcher {
  const debounceMs = options.debounceMs ?? 40;
  const maxDirectories = options.maxDirectories ?? 2000;
  const ignore = new Set((options.ignore ?? []).map((p) => resolve(p)));
  const watchers = new Map<string, FSWatcher>();
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = () => {
    const files = [...pending];
    pending = new Set();
    if (files.length && !closed) onChange(files);
  };

  const add = (dir: string) => {
    if (closed || watchers.has(dir) || watchers.size >= maxDirectories) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    let w: FSWatcher;
    try {
      w = watch(dir, (_event, name) => {
        if (name === null) return;
        const path = join(dir, name);
        if (SOURCE_FILE.test(name) && !ignore.has(path)) {
          pending.add(path);
          clearTimeout(timer);
          timer = setTimeout(flush, debounceMs);
          return;
        }
        // A new directory (a new module folder): watch it too.
        if (!name.startsWith('.') && name !== 'node_modules') {
          try {
            if (statSync(path).isDirectory()) add(path);
          } catch {
            // gone again
          }
        }
      });
    } catch {
      return;
    }
    w.on('error', () => {
      w.close();
      watchers.delete(dir);
    });
    w.unref();
    watchers.set(dir, w);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') add(join(dir, e.name));
    }
  };
  for (const root of new Set(roots.map((r) => resolve(r)))) add(root);

  return {
    get directories() {
      return watchers.size;
    },
    close() {
      closed = true;
      clearTimeout(timer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}
