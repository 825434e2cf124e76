/**
 * @module io/config-file — reads `portcullis.yaml` (YAML or JSON) and validates it. [io]
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig, type GatewayConfig, type SectionSchemas } from '../config.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';

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

/** @param sections schemas of the sections the gateway does not own (`core:`), see `parseConfig()`. */
export async function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env, sections: SectionSchemas = {}): Promise<LoadedConfig> {
  const abs = resolve(path);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(code === 'ENOENT' ? `config file ${path} does not exist` : code === 'EACCES' ? `config file ${path} is not readable (permission denied)` : `cannot read config file ${path}: ${(err as Error).message}`);
  }
  return { config: parseConfigText(text, env, sections), path: abs, baseDir: dirname(abs) };
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * `${VAR}` / `${VAR:-default}` are replaced in the file's text before YAML parsing (as docker
 * compose does), so a variable may fill a number or boolean too (`port: ${PORT:-3000}`). HTTP API
 * mapping syntax such as `${request.path.id}` is not a variable name and is left alone.
 */
export function interpolateText(text: string, env: Readonly<Record<string, string | undefined>>): string {
  const missing: ConfigIssue[] = [];
  const lines = text.split('\n');
  const out = lines.map((line, i) =>
    line.startsWith('#') || /^\s*#/.test(line)
      ? line
      : line.replace(ENV_REF, (whole, name: string, fallback: string | undefined) => {
          const v = env[name];
          if (v !== undefined && v !== '') return v;
          if (fallback !== undefined) return fallback;
          missing.push({ path: `line ${i + 1}`, message: `environment variable ${name} is not set (write \${${name}:-default} for a default)` });
          return whole;
        }),
  );
  if (missing.length) throw new ConfigError(missing);
  return out.join('\n');
}

/** Parses YAML (a superset of JSON) and validates; syntax errors carry line and column. */
export function parseConfigText(text: string, env: Readonly<Record<string, string | undefined>> = {}, sections: SectionSchemas = {}): GatewayConfig {
  const doc = parseDocument(interpolateText(text, env), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0]! })));
  }
  return parseConfig(doc.toJS({ maxAliasCount: 100 }) ?? {}, env, sections);
}
