/**
 * @module io/config-file — reads `portcullis.yaml` (YAML or JSON) and validates it. [io]
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig, type GatewayConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the file. */
  path: string;
  /** Directory relative paths in the config resolve from. */
  baseDir: string;
}

/** Thrown when the file cannot be read at all (missing, unreadable). */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

export async function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<LoadedConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(code === 'ENOENT' ? `config file ${path} does not exist` : code === 'EACCES' ? `config file ${path} is not readable (permission denied)` : `cannot read config file ${path}: ${(err as Error).message}`);
  }
  return { config: parseConfigText(text, env), path: abs, baseDir: dirname(abs) };
}

/** Parses YAML (a superset of JSON) and validates; syntax errors carry line and column. */
export function parseConfigText(text: string, env: Readonly<Record<string, string | undefined>> = {}): GatewayConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0]! })));
  }
  return parseConfig(doc.toJS({ maxAliasCount: 100 }) ?? {}, env);
}
