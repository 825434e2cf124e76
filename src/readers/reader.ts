/**
 * @module readers/reader — the `ConfigReader` interface: one plug-in per definition format (SAM,
 * CloudFormation, OpenAPI, …) turning a parsed document into the raw object a `portcullis.yaml` holds.
 * [pure: file access comes in through `ReaderIo`]
 *
 * Usage: `detectFormat(doc)` (index.ts) picks a reader, `reader.read(doc, context)` returns
 * `{ config, warnings, errors, origins }`; the caller hands `config` to `parseConfig()` unchanged,
 * prints the warnings once and, when `errors` is not empty, stops with all of them (exit 2).
 * A reader never throws on bad input: every problem is an issue with its template path
 * (`Resources.OrdersApi.Properties.Auth.UsagePlan`).
 */
import type { ConfigIssue } from '../core/errors.ts';

/** What a reader may ask of the file system (the io layer supplies it; tests pass a fake). */
export interface ReaderIo {
  /** Does this file exist (path absolute)? */
  fileExists(path: string): boolean;
  /** Text of a file the document points to (`DefinitionUri`, `BodyS3Location`), or null when unreadable. */
  readText(path: string): string | null;
  /** Parses a YAML/JSON text (CloudFormation short tags understood); null when it does not parse. */
  parseDocument(text: string): unknown;
  /**
   * Writes inline code (`Code.ZipFile`, `InlineCode`) as a module file and returns its absolute path.
   * @param name a stable name (the function's logical id)
   */
  writeInlineCode(name: string, code: string): string;
}

export interface ReaderContext {
  /** Directory of the document: relative paths (`CodeUri`, handler files) resolve from here. */
  baseDir: string;
  /** `--parameter-overrides Key=Value` (CloudFormation `Parameters`). */
  parameterOverrides: Readonly<Record<string, string>>;
  /** `--allow-unenforced`: a protection Portcullis cannot reproduce is a warning instead of an error. */
  allowUnenforced: boolean;
  /** `--function NAME=./file.export`: local Node.js code for a function (by name or logical id). */
  functionOverrides?: Readonly<Record<string, string>>;
  /** Serverless Framework: `--stage`, `--region`, `--param 'k=v'` and where the APIs are mounted (`--stage-prefix`). */
  stage?: string | undefined;
  region?: string | undefined;
  params?: Readonly<Record<string, string>> | undefined;
  stagePrefix?: 'aws' | 'all' | undefined;
  /** The environment, for formats that read it themselves (the Framework's `${env:NAME}`). Default: none. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  io: ReaderIo;
}

/** Where a part of the produced config came from: a path in the config, a path in the document. */
export interface Origin {
  at: ReadonlyArray<string | number>;
  from: string;
}

export interface ReaderResult {
  /** The raw `portcullis.yaml` object (before `parseConfig`). */
  config: Record<string, unknown>;
  /** What is not reproduced, with the document path: printed once at start-up. */
  warnings: ConfigIssue[];
  /** What stops the document from running (path-exact, all of them). */
  errors: ConfigIssue[];
  /** For `portcullis convert`'s comments. */
  origins: Origin[];
}

export interface ConfigReader {
  /** The `--format` name. */
  readonly format: string;
  /** One line for `--help` and docs. */
  readonly description: string;
  /** Is this parsed document in this reader's format (from content alone)? */
  detect(doc: unknown): boolean;
  read(doc: unknown, context: ReaderContext): ReaderResult;
}
