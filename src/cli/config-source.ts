/**
 * @module cli/config-source — which reader turns the `--config` file into a gateway config. [io]
 *
 * Today: `portcullis.yaml` (io/config-file.ts) and a Serverless Framework `serverless.yml`
 * (readers/serverless.ts), told apart by content (`service` + `provider` + `functions` at the top
 * level) or forced with `--format`. The config-reader registry (one plug-in per format) replaces
 * `readConfigSource()`'s body; its callers in cli.ts stay as they are.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseConfig, type GatewayConfig, type SectionSchemas } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { ConfigFileError, loadConfigFile, type LoadedConfig } from '../io/config-file.ts';
import { looksLikeServerless, readServerless, type ReaderIssue } from '../readers/serverless.ts';

export const FORMATS = ['portcullis', 'serverless'] as const;
export type ConfigFormat = (typeof FORMATS)[number];

export interface SourceOptions {
  /** Default: detected from the content. */
  format?: ConfigFormat;
  stage?: string;
  region?: string;
  params?: Readonly<Record<string, string>>;
  stagePrefix?: 'aws' | 'all';
}

export interface SourcedConfig extends LoadedConfig {
  format: ConfigFormat;
  /** What the reader could not carry over (ignored plugins, events, resources): printed once at start. */
  warnings: ReaderIssue[];
}

/** Detects the format from the parsed content; anything that is not a serverless.yml is a portcullis.yaml. */
export function detectFormat(text: string): ConfigFormat {
  try {
    // CloudFormation short tags (`!Ref`) only warn here; detection needs the top-level keys alone.
    return looksLikeServerless(parseYaml(text, { logLevel: 'silent' })) ? 'serverless' : 'portcullis';
  } catch {
    return 'portcullis';
  }
}

export async function readConfigSource(
  file: string,
  options: SourceOptions,
  env: Readonly<Record<string, string | undefined>>,
  sections: SectionSchemas,
): Promise<SourcedConfig> {
  const abs = resolve(file);
  if (/\.(c|m)?(js|ts)$/.test(abs)) {
    throw new ConfigFileError(`${file} is a JavaScript/TypeScript config, which Portcullis does not run; write it out as YAML (\`serverless print > serverless.yml\`) or JSON and pass that`);
  }
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch {
    // The portcullis reader words every unreadable-file case.
    return { ...(await loadConfigFile(file, env, sections)), format: 'portcullis', warnings: [] };
  }
  const format = options.format ?? detectFormat(text);
  if (format === 'portcullis') {
    if (options.stage !== undefined || options.params !== undefined || options.region !== undefined || options.stagePrefix !== undefined) {
      throw new ConfigFileError(`--stage, --region, --param and --stage-prefix apply to a serverless.yml; ${file} is a portcullis.yaml`);
    }
    return { ...(await loadConfigFile(file, env, sections)), format, warnings: [] };
  }
  const read = readServerless(text, abs, { stage: options.stage, region: options.region, params: options.params, env, stagePrefix: options.stagePrefix });
  if (read.errors.length || !read.config) throw new ConfigError(read.errors);
  // Portcullis' own `${VAR}` interpolation does not apply: the Framework's variables are resolved.
  const config: GatewayConfig = parseConfig(read.config, {}, sections);
  return { config, path: abs, baseDir: dirname(abs), format, warnings: read.warnings };
}

/**
 * serverless-offline's flags, each with what to use instead (docs/serverless.md has the whole table):
 * `portcullis start --noAuth` then says why there is none rather than "unknown option".
 */
const OFFLINE_FLAGS: Readonly<Record<string, string>> = {
  httpPort: 'use --port N',
  host: 'set custom.portcullis.server.host (or host in custom.serverless-offline)',
  noPrependStageInUrl: 'REST routes stay under /{stage} as on AWS (the stage is in the method ARN authorizer policies match); --stage-prefix / --no-stage-prefix choose where the HTTP API is',
  prefix: 'the paths are AWS\'s; put a prefix in the event paths if your clients need one',
  noAuth: 'there is none, deliberately: Portcullis enforces every authorizer',
  ignoreJWTSignature: 'there is none, deliberately: JWT signatures are always verified',
  reloadHandler: 'use --watch',
  noTimeout: 'function timeouts apply as on Lambda; raise `timeout` in serverless.yml',
  httpsProtocol: 'Portcullis serves plain HTTP; put a TLS proxy in front',
  useDocker: 'Node.js handlers run in worker threads',
  useInProcess: 'handlers always run in worker threads, one invocation per environment',
};

/** A usage message when `args` holds a serverless-offline flag, else null. */
export function offlineFlagMessage(args: readonly string[]): string | null {
  for (const a of args) {
    const name = /^--([A-Za-z]+)(=.*)?$/.exec(a)?.[1];
    if (name && name in OFFLINE_FLAGS) return `--${name} is a serverless-offline option: ${OFFLINE_FLAGS[name]} (docs/serverless.md lists every one)`;
  }
  return null;
}
