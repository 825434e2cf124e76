/**
 * @module cli/definition-options — the flags every command that reads a config shares, for files
 * that are not a `portcullis.yaml` (SAM, CloudFormation, OpenAPI): `--format`, `--parameter-overrides`
 * (SAM CLI's name and syntax), `--allow-unenforced`, `--function NAME=./file.export`. [io]
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
} as const;

export const DEFINITION_USAGE = `[--format ${FORMATS.join('|')}] [--parameter-overrides Key=Value ...] [--allow-unenforced] [--function NAME=./file.export ...]`;

/**
 * `--parameter-overrides 'A=1 B=2'`, repeated or not, and SAM CLI's long form
 * `ParameterKey=A,ParameterValue=1`. Returns the options, or a usage message.
 */
export function parseDefinitionOptions(values: { format?: string | undefined; 'parameter-overrides'?: string[] | undefined; 'allow-unenforced'?: boolean | undefined; function?: string[] | undefined }): ReadOptions | string {
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
  return { format: values.format, parameterOverrides: overrides, allowUnenforced: values['allow-unenforced'] ?? false, functions };
}

/** The warnings of a template, one line each, as `start` and `validate` print them (once). */
export function formatWarnings(warnings: readonly ConfigIssue[]): string {
  return warnings.map((w) => `portcullis: warning: ${w.path ? `${w.path}: ` : ''}${w.message}\n`).join('');
}
