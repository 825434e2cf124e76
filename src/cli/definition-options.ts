/**
 * @module cli/definition-options — the flags every command that reads a config shares, for files
 * that are not a `portcullis.yaml`: `--format`; for templates (SAM, CloudFormation, OpenAPI)
 * `--parameter-overrides` (SAM CLI's name and syntax), `--allow-unenforced`, `--function
 * NAME=./file.export`; for a `serverless.yml` `--stage`, `--region`, `--param 'k=v'`, `--stage-prefix` /
 * `--no-stage-prefix` (the Framework's own names). And serverless-offline's flags, each answered with
 * its Portcullis equivalent (`offlineFlagMessage`). [io]
 */
import { resolve as resolvePath } from 'node:path';
import type { ConfigIssue } from '../core/errors.ts';
import type { ReadOptions } from '../io/config-file.ts';
import { FORMATS } from '../readers/index.ts';

/** `parseArgs` option declarations of the shared flags. */
export const DEFINITION_OPTIONS = {
  format: { type: 'string' },
  'parameter-overrides': { type: 'string', multiple: true },
  'allow-unenforced': { type: 'boolean' },
  function: { type: 'string', multiple: true },
  stage: { type: 'string' },
  region: { type: 'string' },
  param: { type: 'string', multiple: true },
  'stage-prefix': { type: 'boolean' },
  'no-stage-prefix': { type: 'boolean' },
} as const;

export const DEFINITION_USAGE = `[--format ${FORMATS.join('|')}] [--parameter-overrides Key=Value ...] [--allow-unenforced] [--function NAME=./file.export ...] [--stage NAME] [--region NAME] [--param 'key=value' ...] [--stage-prefix|--no-stage-prefix]`;

/**
 * `--parameter-overrides 'A=1 B=2'`, repeated or not, and SAM CLI's long form
 * `ParameterKey=A,ParameterValue=1`. Returns the options, or a usage message.
 */
export interface DefinitionOptionValues {
  format?: string | undefined;
  'parameter-overrides'?: string[] | undefined;
  'allow-unenforced'?: boolean | undefined;
  function?: string[] | undefined;
  stage?: string | undefined;
  region?: string | undefined;
  param?: string[] | undefined;
  'stage-prefix'?: boolean | undefined;
  'no-stage-prefix'?: boolean | undefined;
}

export function parseDefinitionOptions(values: DefinitionOptionValues): ReadOptions | string {
  const functions: Record<string, string> = {};
  for (const value of values.function ?? []) {
    const m = /^([A-Za-z0-9_-]+)=(.*\/)?([^/]+\.[A-Za-z0-9_$]+)$/.exec(value);
    if (!m) return `--function takes NAME=PATH/FILE.EXPORT (e.g. Orders=./src/orders.handler), got "${value}"`;
    // Relative to where the command runs, as a shell user expects.
    functions[m[1]!] = `${resolvePath(m[2] ?? '.')}/${m[3]}`;
  }
  const overrides: Record<string, string> = {};
  for (const value of values['parameter-overrides'] ?? []) {
    for (const token of value.split(/\s+/).filter(Boolean)) {
      const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(token);
      const short = /^([A-Za-z0-9]+)=(.*)$/.exec(token);
      const m = long ?? short;
      if (!m) return `--parameter-overrides takes Key=Value (or ParameterKey=Key,ParameterValue=Value), got "${token}"`;
      overrides[m[1]!] = m[2]!;
    }
  }
  if (values.format !== undefined && !FORMATS.includes(values.format)) return `--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`;
  const options: ReadOptions = { format: values.format, parameterOverrides: overrides, allowUnenforced: values['allow-unenforced'] ?? false, functions };
  if (values.stage !== undefined) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(values.stage)) return `--stage must be letters, digits, _ or -, got "${values.stage}"`;
    options.stage = values.stage;
  }
  if (values.region !== undefined) options.region = values.region;
  if (values.param) {
    const params: Record<string, string> = {};
    for (const p of values.param) {
      const eq = p.indexOf('=');
      if (eq <= 0) return `--param must be key=value, got "${p}"`;
      params[p.slice(0, eq)] = p.slice(eq + 1);
    }
    options.params = params;
  }
  if (values['stage-prefix'] && values['no-stage-prefix']) return '--stage-prefix and --no-stage-prefix exclude each other';
  if (values['stage-prefix']) options.stagePrefix = 'all';
  if (values['no-stage-prefix']) options.stagePrefix = 'aws';
  return options;
}

/** The warnings of a template, one line each, as `start` and `validate` print them (once). */
export function formatWarnings(warnings: readonly ConfigIssue[]): string {
  return warnings.map((w) => `portcullis: warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`).join('');
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
