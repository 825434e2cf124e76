/**
 * @module readers — the registry of config readers, and format detection. [pure]
 *
 * One entry per definition format a user may bring besides `portcullis.yaml`. Detection goes down
 * `READERS` in order and takes the first whose `detect()` accepts the parsed document (SAM before
 * CloudFormation: a SAM template is a CloudFormation template with a Transform); a document no reader
 * claims is a `portcullis.yaml`. `--format NAME` forces one.
 *
 * Adding a format: one file exporting a `ConfigReader` (reader.ts), one line in `READERS`.
 */
import { isObject } from './build.ts';
import { cloudFormationReader } from './cloudformation.ts';
import { openApiReader } from './openapi.ts';
import type { ConfigReader } from './reader.ts';
import { samReader } from './sam.ts';
import { serverlessReader } from './serverless.ts';

export type { ConfigReader, ReaderContext, ReaderIo, ReaderResult, Origin } from './reader.ts';
export { cloudFormationTags } from './intrinsics.ts';

/** The readers, in detection order. */
export const READERS: readonly ConfigReader[] = [
  serverlessReader,
  samReader,
  cloudFormationReader,
  openApiReader,
];

/** The name of Portcullis's own format (not a reader: it keeps `${VAR}` interpolation and its own parse). */
export const PORTCULLIS_FORMAT = 'portcullis';

/** Every `--format` value. */
export const FORMATS: readonly string[] = [PORTCULLIS_FORMAT, ...READERS.map((r) => r.format)];

/** Top-level keys only a `portcullis.yaml` has. */
const PORTCULLIS_KEYS = ['apis', 'server', 'core', 'admin', 'aws'];

/** The format of a parsed document, from its content. */
export function detectFormat(doc: unknown): string {
  if (isObject(doc) && PORTCULLIS_KEYS.some((k) => k in doc)) return PORTCULLIS_FORMAT;
  return READERS.find((r) => r.detect(doc))?.format ?? PORTCULLIS_FORMAT;
}

export function readerFor(format: string): ConfigReader | undefined {
  return READERS.find((r) => r.format === format);
}
