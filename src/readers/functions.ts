/**
 * @module readers/functions — the Lambda functions of a template (`AWS::Serverless::Function`,
 * `AWS::Lambda::Function`) and where their code is on this machine. [pure: files through `ReaderIo`]
 *
 * SAM: `CodeUri` (a folder) + `Handler: app.lambdaHandler` → `CODEURI/app.{js,mjs,cjs,ts}`, export
 * `lambdaHandler`; `InlineCode`. CloudFormation: `Code.ZipFile` (inline), or the folder CDK records in
 * `Metadata.aws:asset:path` (cdk.out/asset.HASH) for `Code.S3Bucket`/`S3Key`. `Globals.Function`
 * applies to every SAM function. `Environment.Variables`, `Timeout` (s), `MemorySize` carry over.
 * Code in S3 without a local asset, container images and non-Node runtimes cannot run here: the
 * function is kept with the reason (`notLocal`), and its routes answer as a failing Lambda.
 */
import { joinPath, environmentOf, findHandler, isNodeRuntime, isObject, isProcessRuntime, relativeFile, type ConfigBuilder, type LocalFunction } from './build.ts';
import type { IntrinsicResolver } from './intrinsics.ts';
import { describe, functionNameOfArn, NO_VALUE } from './intrinsics.ts';
import type { ReaderContext } from './reader.ts';
import { isAbsolute, join } from 'node:path';

export const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** Function properties Portcullis does not reproduce, reported once each. */
const IGNORED_FUNCTION_PROPERTIES: Readonly<Record<string, string>> = {
  Layers: 'layers are not loaded (the handler resolves packages from its own folder)',
  VpcConfig: 'VPC networking is not reproduced',
  FileSystemConfigs: 'EFS file systems are not mounted',
  ProvisionedConcurrencyConfig: 'provisioned concurrency is not reproduced (the first request to a worker pays the init)',
  SnapStart: 'SnapStart is not reproduced',
};

const RESOLVED_PROPERTIES = ['Runtime', 'Handler', 'Timeout', 'MemorySize', 'Environment', 'PackageType', 'InlineCode'];

export class FunctionTable {
  readonly byLogicalId = new Map<string, LocalFunction>();
  readonly #byName = new Map<string, LocalFunction>();
  /** `--function NAME=FILE.EXPORT`: local code for a function name or logical id. */
  readonly #overrides: Readonly<Record<string, string>>;
  readonly #context: ReaderContext;

  constructor(context: ReaderContext) {
    this.#context = context;
    this.#overrides = context.functionOverrides ?? {};
  }

  /** The handler `--function` gives this function (by logical id or name), if any. */
  override(fn: Pick<LocalFunction, 'logicalId' | 'name'>): { file: string; exportName: string } | null {
    const given = this.#overrides[fn.logicalId] ?? this.#overrides[fn.name];
    if (given === undefined) return null;
    const slash = given.lastIndexOf('/');
    return findHandler(this.#context, given.slice(0, slash + 1) || '.', given.slice(slash + 1));
  }

  /**
   * The function a value names (an ARN, an invocation URI, a name); when the document defines none, a
   * stand-in: runnable when `--function` names it, else kept with why it cannot run.
   */
  lookup(value: unknown, path: string): LocalFunction {
    const found = typeof value === 'string' ? this.fromArn(value) : undefined;
    if (found) return found;
    const name = typeof value === 'string' ? (/^[A-Za-z0-9_-]+$/.test(value) ? value : functionNameOfArn(value)) : null;
    const fn: LocalFunction = { logicalId: name ?? String(value), name: name ?? String(value), path, environment: {}, timeoutInMillis: 3000 };
    const handler = name === null ? null : this.override(fn);
    if (handler) fn.handler = handler;
    else {
      fn.notLocal = {
        path,
        reason: name !== null ? `Lambda function ${name} is not defined in this document, so it has no local code (give it some with --function ${name}=./file.handler)` : `${describe(value)} is not a Lambda function ARN`,
      };
    }
    return fn;
  }

  add(fn: LocalFunction): void {
    this.byLogicalId.set(fn.logicalId, fn);
    this.#byName.set(fn.name, fn);
  }

  /** The function an ARN or `…/functions/ARN/invocations` URI names, else undefined. */
  fromArn(arn: string): LocalFunction | undefined {
    // A bare name (`!Ref Fn` where an ARN was expected; Lambda accepts names too).
    if (/^[A-Za-z0-9_-]+$/.test(arn)) return this.#byName.get(arn) ?? this.byLogicalId.get(arn);
    const name = functionNameOfArn(arn);
    return name === null ? undefined : this.#byName.get(name) ?? this.byLogicalId.get(name);
  }
}

/** Reads every function resource of the template. */
export function readFunctions(template: Record<string, unknown>, resolver: IntrinsicResolver, builder: ConfigBuilder): FunctionTable {
  const table = new FunctionTable(builder.context);
  const resources = isObject(template.Resources) ? template.Resources : {};
  const globals = isObject(template.Globals) && isObject(template.Globals.Function) ? template.Globals.Function : {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isObject(resource) || typeof resource.Type !== 'string' || !FUNCTION_TYPES.has(resource.Type)) continue;
    if (!resolver.isResourceIncluded(logicalId)) continue;
    const path = joinPath(['Resources', logicalId]);
    const own = isObject(resource.Properties) ? resource.Properties : {};
    const sam = resource.Type === 'AWS::Serverless::Function';
    const merged: Record<string, unknown> = sam ? mergeGlobals(globals, own) : own;
    const p = (key: string) => joinPath([path, 'Properties', key]);
    // The scalar properties read here, resolved (AWS::NoValue removes one). The others are only looked
    // at for presence, or resolved where they are used (code locations): an S3 asset parameter without a
    // value is no problem for a function whose code is on this machine.
    const props: Record<string, unknown> = { ...merged };
    for (const key of RESOLVED_PROPERTIES) {
      if (!(key in merged)) continue;
      const resolved = resolver.resolve(merged[key], p(key));
      if (resolved === undefined || resolved === NO_VALUE) delete props[key];
      else props[key] = resolved;
    }
    const fn: LocalFunction = { logicalId, name: resolver.physicalId(logicalId), path, environment: {}, timeoutInMillis: 3000 };
    const env = props.Environment === undefined ? {} : resolver.resolve(props.Environment, p('Environment'));
    fn.environment = environmentOf(isObject(env) ? env.Variables : undefined);
    if (props.Timeout !== undefined) {
      const t = Number(resolver.resolve(props.Timeout, p('Timeout')));
      if (Number.isFinite(t) && t >= 1 && t <= 900) fn.timeoutInMillis = Math.round(t * 1000);
      else builder.error(p('Timeout'), `must be a number of seconds from 1 to 900, got ${String(props.Timeout)}`);
    }
    if (props.MemorySize !== undefined) {
      const m = Number(resolver.resolve(props.MemorySize, p('MemorySize')));
      if (Number.isInteger(m) && m >= 128 && m <= 10240) fn.memorySize = m;
    }
    for (const [key, why] of Object.entries(IGNORED_FUNCTION_PROPERTIES)) if (props[key] !== undefined) builder.warn(p(key), why);
    const runtime = props.Runtime === undefined ? undefined : resolver.string(props.Runtime, p('Runtime'));
    const handler = props.Handler === undefined ? undefined : resolver.string(props.Handler, p('Handler'));
    if (props.PackageType === 'Image' || props.ImageUri !== undefined || (isObject(props.Code) && props.Code.ImageUri !== undefined)) {
      fn.notLocal = { path: p(props.PackageType === 'Image' ? 'PackageType' : 'ImageUri'), reason: 'container-image functions are not run by portcullis' };
    } else if (!isNodeRuntime(runtime) && !isProcessRuntime(runtime)) {
      fn.notLocal = { path: p('Runtime'), reason: `runtime ${runtime} is not run by portcullis (Node.js, Python 3.9-3.13 and provided runtimes only)` };
    } else if (handler === undefined) {
      fn.notLocal = { path: p('Handler'), reason: 'has no Handler' };
    } else if (isProcessRuntime(runtime)) {
      // Python, provided: run as on Lambda, through the Runtime API, from the code folder.
      const inline = sam ? props.InlineCode !== undefined : isObject(props.Code) && props.Code.ZipFile !== undefined;
      const located = inline ? { path: p(sam ? 'InlineCode' : 'Code'), reason: `inline code of runtime ${runtime} is not run by portcullis (give it a code folder)` } : locateCode(logicalId, resource, props, sam, resolver, builder, p);
      if ('reason' in located) fn.notLocal = located;
      else {
        const dir = isAbsolute(located.dir) ? located.dir : join(builder.context.baseDir, located.dir);
        // Its entry point: the handler's module (`app.handler` → app.py, `src/app.handler` → src/app.py) or `bootstrap`.
        const entry = runtime.startsWith('python') ? join(dir, `${handler.slice(0, Math.max(handler.lastIndexOf('.'), 0)).replace(/\./g, '/')}.py`) : join(dir, 'bootstrap');
        if (!builder.context.io.fileExists(entry)) fn.notLocal = { path: p('CodeUri'), reason: `its code is not on this machine (${relativeFile(builder.context.baseDir, entry)} does not exist)` };
        else fn.processRuntime = { runtime, codeUri: relativeFile(builder.context.baseDir, dir), handler };
      }
    } else {
      const located = locateCode(logicalId, resource, props, sam, resolver, builder, p);
      if ('reason' in located) fn.notLocal = located;
      else {
        const h = findHandler(builder.context, located.dir, handler);
        if (h) fn.handler = h;
        else builder.error(p('Handler'), `must be FILE.EXPORT (e.g. app.handler), got "${handler}"`);
      }
    }
    const override = table.override(fn);
    if (override) {
      fn.handler = override;
      delete fn.notLocal;
      delete fn.processRuntime;
    }
    table.add(fn);
  }
  return table;
}

function locateCode(
  logicalId: string,
  resource: Record<string, unknown>,
  props: Record<string, unknown>,
  sam: boolean,
  resolver: IntrinsicResolver,
  builder: ConfigBuilder,
  p: (key: string) => string,
): { dir: string } | { path: string; reason: string } {
  const inline = sam ? props.InlineCode : isObject(props.Code) ? props.Code.ZipFile : undefined;
  if (inline !== undefined) {
    const code = resolver.string(inline, sam ? p('InlineCode') : joinPath([p('Code'), 'ZipFile']));
    if (code === undefined) return { path: p(sam ? 'InlineCode' : 'Code'), reason: 'its inline code could not be resolved' };
    const file = builder.context.io.writeInlineCode(logicalId, code);
    return { dir: file.slice(0, file.lastIndexOf('/')) };
  }
  // CDK records the asset folder of each function (cdk.out/asset.HASH) beside the S3 location.
  const metadata = isObject(resource.Metadata) ? resource.Metadata : {};
  if (typeof metadata['aws:asset:path'] === 'string') return { dir: metadata['aws:asset:path'] };
  if (sam) {
    // An S3 location ({Bucket, Key}) is not resolved: its parameters need no value to be reported as remote.
    if (isObject(props.CodeUri) && !Object.keys(props.CodeUri).some((k) => k === 'Ref' || k.startsWith('Fn::'))) {
      return { path: p('CodeUri'), reason: 'its code is in S3 (Bucket/Key), not on this machine' };
    }
    const codeUri = props.CodeUri === undefined ? '.' : resolver.resolve(props.CodeUri, p('CodeUri'));
    if (typeof codeUri === 'string' && !/^s3:\/\//.test(codeUri)) return { dir: codeUri };
    return { path: p('CodeUri'), reason: `its code is in S3 (${typeof codeUri === 'string' ? codeUri : 'Bucket/Key'}), not on this machine` };
  }
  return { path: p('Code'), reason: 'its code is in S3, not on this machine (CDK output keeps a local copy in Metadata.aws:asset:path)' };
}

/**
 * SAM's Globals (AWS: sam-specification-template-anatomy-globals "Overridable"): the resource's own
 * value wins for a scalar; mappings are merged key by key (the resource's keys win), lists are
 * joined (the global items first). An intrinsic call is a value, not a mapping to merge into.
 */
export function mergeGlobals(globals: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...globals };
  for (const [key, value] of Object.entries(own)) {
    const g = globals[key];
    if (isPlainMapping(g) && isPlainMapping(value)) out[key] = mergeGlobals(g, value);
    else if (Array.isArray(g) && Array.isArray(value)) out[key] = [...g, ...value];
    else out[key] = value;
  }
  return out;
}

function isPlainMapping(v: unknown): v is Record<string, unknown> {
  return isObject(v) && !Object.keys(v).some((k) => k === 'Ref' || k === 'Condition' || k.startsWith('Fn::'));
}
