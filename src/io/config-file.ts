/**
 * @module io/config-file — reads a config file and validates it: a `portcullis.yaml` (YAML or JSON),
 * or a definition a reader turns into one (SAM, CloudFormation, OpenAPI: src/readers). [io]
 *
 * The format is detected from the content (`detectFormat`) or forced (`format`). A template is never
 * read as a `portcullis.yaml`: no `${VAR}` interpolation (`!Sub` uses the same syntax), and the
 * reader's object goes through `parseConfig()` like a `portcullis.yaml` does.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { formatPath, IncompleteConfigError, parseConfig, type GatewayConfig, type SectionSchemas } from '../config.ts';
import { ConfigError, type ConfigIssue } from '../core/errors.ts';
import { cloudFormationTags, detectFormat, FORMATS, PORTCULLIS_FORMAT, readerFor, type Origin, type ReaderIo, type ReaderResult } from '../readers/index.ts';

export interface LoadedConfig {
  config: GatewayConfig;
  /** Absolute path of the file. */
  path: string;
  /** Directory relative paths in the config resolve from. */
  baseDir: string;
  /** `portcullis`, `sam`, `cloudformation`, `openapi`, … */
  format: string;
  /** What a template holds that is not reproduced, with its template path (empty for a `portcullis.yaml`). */
  warnings: readonly ConfigIssue[];
}

/** How to read a definition that is not a `portcullis.yaml`. */
export interface ReadOptions {
  /** Force a format (`--format`). Default: detected from the content. */
  format?: string | undefined;
  /** `--parameter-overrides Key=Value` for CloudFormation `Parameters`. */
  parameterOverrides?: Readonly<Record<string, string>> | undefined;
  /** `--allow-unenforced`: protections Portcullis cannot reproduce become warnings. */
  allowUnenforced?: boolean | undefined;
  /** `--function NAME=/abs/file.export`: local Node.js code for functions the document names. */
  functions?: Readonly<Record<string, string>> | undefined;
  /** When given, receives where each part of a converted config came from (for `annotateWithOrigins`). */
  origins?: Origin[] | undefined;
  /** Serverless Framework: `--stage`, `--region`, `--param 'k=v'`, `--stage-prefix` / `--no-stage-prefix`. */
  stage?: string | undefined;
  region?: string | undefined;
  params?: Readonly<Record<string, string>> | undefined;
  stagePrefix?: 'aws' | 'all' | undefined;
}

/** Thrown when the file cannot be read at all (missing, unreadable). */
export class ConfigFileError extends Error {
  override name = 'ConfigFileError';
}

/** @param sections schemas of the sections the gateway does not own (`core:`), see `parseConfig()`. */
export async function loadConfigFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env, sections: SectionSchemas = {}, options: ReadOptions = {}): Promise<LoadedConfig> {
  const abs = resolve(path);
  if (/\.(c|m)?(js|ts)$/.test(abs)) {
    throw new ConfigFileError(`${path} is a JavaScript/TypeScript config, which Portcullis does not run; write it out as YAML (\`serverless print > serverless.yml\`) or JSON and pass that`);
  }
  const text = await readConfigText(path, abs);
  const baseDir = dirname(abs);
  const read = readDefinition(text, baseDir, options, env);
  const serverlessOnly = [options.stage !== undefined && '--stage', options.region !== undefined && '--region', options.params !== undefined && '--param', options.stagePrefix !== undefined && '--stage-prefix'].filter(Boolean);
  if (serverlessOnly.length && read?.format !== 'serverless') {
    throw new ConfigFileError(`${serverlessOnly.join(', ')} apply to a serverless.yml; ${path} is ${read ? `a ${read.format} document` : 'a portcullis.yaml'}`);
  }
  if (read === null) return { config: parseConfigText(text, env, sections), path: abs, baseDir, format: PORTCULLIS_FORMAT, warnings: [] };
  if (read.result.errors.length) throw new ConfigError(read.result.errors);
  options.origins?.push(...read.result.origins);
  return { config: parseConfig(read.result.config, null, sections), path: abs, baseDir, format: read.format, warnings: read.result.warnings };
}

async function readConfigText(path: string, abs: string): Promise<string> {
  try {
    return await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigFileError(code === 'ENOENT' ? `config file ${path} does not exist` : code === 'EACCES' ? `config file ${path} is not readable (permission denied)` : `cannot read config file ${path}: ${(err as Error).message}`);
  }
}

/** YAML syntax errors as config issues: `line 7, column 14: <the parser's first line, without its own position>`. */
function yamlIssues(errors: readonly { linePos?: [{ line: number; col: number }, ...unknown[]] | undefined; message: string }[]): ConfigIssue[] {
  return errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') }));
}

/** Parses YAML/JSON with CloudFormation's short tags; null when it does not parse. */
export function parseTemplateText(text: string): { doc: unknown; errors: ConfigIssue[] } {
  const doc = parseDocument(text, { customTags: cloudFormationTags, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) return { doc: null, errors: yamlIssues(doc.errors) };
  return { doc: doc.toJS({ maxAliasCount: 100 }), errors: [] };
}

/**
 * Runs the reader of the text's format. Null when the text is a `portcullis.yaml` (detected or
 * forced), which is parsed as before, `${VAR}` interpolation included.
 * @throws ConfigError for an unknown `--format` or a template that does not parse.
 */
export function readDefinition(text: string, baseDir: string, options: ReadOptions = {}, env: Readonly<Record<string, string | undefined>> = {}): { format: string; result: ReaderResult } | null {
  if (options.format !== undefined && !FORMATS.includes(options.format)) {
    throw new ConfigError([{ path: '--format', message: `unknown format "${options.format}" (known: ${FORMATS.join(', ')})` }]);
  }
  if (options.format === PORTCULLIS_FORMAT) return null;
  const parsed = parseTemplateText(text);
  if (parsed.errors.length) {
    // Without --format, a file that does not parse is reported the way a portcullis.yaml is.
    if (options.format === undefined) return null;
    throw new ConfigError(parsed.errors);
  }
  const format = options.format ?? detectFormat(parsed.doc);
  const reader = readerFor(format);
  if (!reader) return null;
  const result = reader.read(parsed.doc, {
    baseDir,
    parameterOverrides: options.parameterOverrides ?? {},
    allowUnenforced: options.allowUnenforced ?? false,
    functionOverrides: options.functions ?? {},
    stage: options.stage,
    region: options.region,
    params: options.params,
    stagePrefix: options.stagePrefix,
    env,
    io: createReaderIo(baseDir),
  });
  return { format, result };
}

/** The file access readers are given. Inline code goes to a folder of the temp directory, one per template folder. */
function createReaderIo(baseDir: string): ReaderIo {
  const inlineRoot = join(tmpdir(), `portcullis-inline-${createHash('sha256').update(baseDir).digest('hex').slice(0, 12)}`);
  return {
    fileExists: (p) => existsSync(p),
    readText: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return null;
      }
    },
    parseDocument: (text) => {
      const parsed = parseTemplateText(text);
      return parsed.errors.length ? null : parsed.doc;
    },
    writeInlineCode: (name, code) => {
      // Lambda names inline Node.js code index.js, a CommonJS module.
      const dir = join(inlineRoot, name.replace(/[^A-Za-z0-9_-]/g, '_'));
      const file = join(dir, 'index.cjs');
      mkdirSync(dir, { recursive: true });
      if (!existsSync(file) || readFileSync(file, 'utf8') !== code) writeFileSync(file, code);
      return file;
    },
  };
}

/**
 * Adds `(from Resources.X…)` to each problem of a converted config, by the longest origin that
 * contains its path: the user fixes the template, not a portcullis.yaml they never wrote.
 */
export function annotateWithOrigins(err: ConfigError, origins: readonly Origin[]): ConfigError {
  const byLength = origins.map((o) => ({ at: formatPath([...o.at]), from: o.from })).sort((a, b) => b.at.length - a.at.length);
  const issues = err.issues.map((issue) => {
    const origin = byLength.find((o) => o.from && (issue.path === o.at || issue.path.startsWith(`${o.at}.`) || issue.path.startsWith(`${o.at}[`)));
    return origin ? { path: issue.path, message: `${issue.message} (from ${origin.from})` } : issue;
  });
  return err instanceof IncompleteConfigError ? new IncompleteConfigError(issues, err.parsed) : new ConfigError(issues);
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
    throw new ConfigError(yamlIssues(doc.errors));
  }
  return parseConfig(doc.toJS({ maxAliasCount: 100 }) ?? {}, env, sections);
}
