/**
 * @module cli/convert — `portcullis convert FILE`: the `portcullis.yaml` a SAM / CloudFormation /
 * OpenAPI file amounts to, commented with where each part came from, on stdout. [io]
 *
 *   portcullis convert template.yaml [--format F] [--parameter-overrides K=V ...] [--allow-unenforced] > portcullis.yaml
 *
 * The output is what `start --config template.yaml` runs (the same reader, the same object), so it is
 * a valid `portcullis.yaml` whenever the template starts. Handler paths are relative to the template's
 * folder: keep the file beside the template. What is not reproduced is listed at the top.
 * Exit codes: 0 converted, 2 usage problem or a template with errors (all of them, on stderr).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Document, isCollection, isScalar, type Node } from 'yaml';
import { formatPath } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { readDefinition } from '../io/config-file.ts';
import type { ReaderResult } from '../readers/index.ts';
import { DEFINITION_OPTIONS, DEFINITION_USAGE, parseDefinitionOptions } from './definition-options.ts';

export const CONVERT_USAGE = `usage: portcullis convert FILE ${DEFINITION_USAGE}`;

export async function runConvertCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...DEFINITION_OPTIONS }, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`portcullis: ${(err as Error).message}\n${CONVERT_USAGE}\n`);
    return 2;
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length) {
    process.stderr.write(`portcullis: convert takes one FILE\n${CONVERT_USAGE}\n`);
    return 2;
  }
  const options = parseDefinitionOptions(parsed.values);
  if (typeof options === 'string') {
    process.stderr.write(`portcullis: ${options}\n`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`portcullis: cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (err as Error).message}\n`);
    return 2;
  }
  try {
    const read = readDefinition(text, dirname(resolve(file)), options);
    if (read === null) {
      process.stderr.write(`portcullis: ${file} is already a portcullis.yaml (or no reader recognises it: pass --format)\n`);
      return 2;
    }
    if (read.result.errors.length) throw new ConfigError(read.result.errors);
    process.stdout.write(renderConverted(read.result, basename(file), read.format));
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`portcullis: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

/** The converted config as YAML: a header (source, what is not reproduced), and each part's origin above it. */
export function renderConverted(result: ReaderResult, source: string, format: string): string {
  const doc = new Document(result.config, { aliasDuplicateObjects: false });
  for (const origin of result.origins) {
    if (!origin.from) continue;
    const node = doc.getIn(origin.at, true) as Node | undefined;
    if (node && (isCollection(node) || isScalar(node))) node.commentBefore = ` from ${origin.from}`;
  }
  const header = [
    ` portcullis.yaml converted from ${source} (${format}) by \`portcullis convert\`.`,
    ' Handler paths are relative to the folder of the template: keep this file beside it.',
  ];
  // A portcullis.yaml reads `${NAME}` as an environment variable; a template value that still holds one
  // (from `${!NAME}` in a !Sub) would change meaning in the printed file.
  const envLike = findEnvLikeValues(result.config);
  for (const at of envLike) header.push(` NOTE: ${at} holds \${…} text, which a portcullis.yaml reads as an environment variable: edit it before keeping this file.`);
  if (result.warnings.length) {
    header.push('', ' Not reproduced (portcullis start prints these once too):');
    for (const w of result.warnings) header.push(`   ${w.path ? `${w.path}: ` : ''}${w.message}`);
  }
  doc.commentBefore = header.join('\n');
  return doc.toString({ lineWidth: 0 });
}

function findEnvLikeValues(value: unknown, path: Array<string | number> = []): string[] {
  if (typeof value === 'string') return /\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/.test(value) ? [formatPath(path)] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => findEnvLikeValues(v, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findEnvLikeValues(v, [...path, k]));
  return [];
}
