/**
 * `npm run start:python`: the seeds' demo with the Python half (examples/seeds-python/portcullis.yaml)
 * — the same launcher, ports, website and echo backend as `npm start` (../seeds/start.ts), with the
 * functions in Python. Run `npm run setup:python` first (the script does: it builds ./.venv once).
 */
import { fileURLToPath } from 'node:url';

process.env.SEEDS_CONFIG ??= fileURLToPath(new URL('./portcullis.yaml', import.meta.url));
await import('../seeds/start.ts');
