/**
 * @module integrations/lambda — `type: lambda`: a handler module invoked with a proxy event. [glue]
 *
 * Payload 2.0 for HTTP APIs (default) or 1.0 (REST always; HTTP APIs that ask). The function runs
 * in its runtime's pool (`io/runtimes`: Node worker threads, or a process speaking the Lambda Runtime
 * API for Python and `provided`); its result is read as API Gateway reads
 * it (`core/lambda-events.ts`). Failures: HTTP APIs answer 500 `Internal Server Error` (503
 * `Service Unavailable` on timeout); REST answers 502 `Internal server error` (504 `Endpoint
 * request timed out`).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { checkIntegrationMappings, functionSchema, mappingMap, type ApiConfig, type ConfigIssue, type PluginCheckContext } from '../core/config.ts';
import { ConfigError, IntegrationFailureError, IntegrationTimeoutError, RequestTooLargeError } from '../core/errors.ts';
import { buildEventV1, buildEventV2, eventParts, invocationPayloadBytes, LAMBDA_REQUEST_PAYLOAD_LIMIT, parseResultV1, parseResultV2 } from '../core/lambda-events.ts';
import { applyHttpRequestMapping, compileHttpRequestMapping, compileHttpResponseMappings } from '../core/mapping.ts';
import type { LambdaRuntime } from '../io/lambda-runtime.ts';
import { resolveFunctionSpec } from '../io/runtimes/index.ts';
import { applyHttpResponseMapping } from './response-mapping.ts';
import { defineIntegration, INTEGRATION_ERRORS, type Integration } from './integration.ts';

export const lambdaIntegrationSchema = z.strictObject({
  type: z.literal('lambda'),
  ...functionSchema.shape,
  /** `2.0` (HTTP APIs default) or `1.0` (REST always; HTTP APIs when asked). */
  payloadFormatVersion: z.enum(['1.0', '2.0']).optional(),
  /** HTTP APIs: parameter mapping applied to the event (`overwrite:header.x`). */
  requestParameters: mappingMap.optional(),
  /** HTTP APIs: `{ "<status>": { "overwrite:statuscode": "403", "append:header.h": "…" } }`. */
  responseParameters: z.record(z.string(), mappingMap).optional(),
});
export type LambdaIntegrationConfig = z.infer<typeof lambdaIntegrationSchema>;

/** REST sends payload 1.0 only; the mappings compile. */
function checkLambdaIntegration(config: Readonly<LambdaIntegrationConfig>, { api }: PluginCheckContext): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (api.protocol === 'rest' && config.payloadFormatVersion === '2.0') issues.push({ path: 'payloadFormatVersion', message: 'REST APIs only send payload format 1.0' });
  issues.push(...checkIntegrationMappings(config, api.protocol));
  return issues;
}

export interface LambdaIntegrationDeps {
  lambdaRuntime: LambdaRuntime;
  baseDir: string;
}

/** AWS's API Gateway integration limit (29 s) is the default handler timeout. */
export const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export function createLambdaIntegration(cfg: Readonly<LambdaIntegrationConfig>, api: Readonly<ApiConfig>, deps: LambdaIntegrationDeps): Integration {
  // A missing module (or bootstrap, or code folder) is a start-up error with its config path, not a 500
  // on the first request. The runtime (`runtime`, SAM's vocabulary) picks the pool: io/runtimes.
  const spec = resolveFunctionSpec(cfg, deps.baseDir, DEFAULT_INTEGRATION_TIMEOUT_MS);
  if (!spec.ok) throw new ConfigError(spec.error);
  const fn = deps.lambdaRuntime.getFunction(spec.value);
  const flavour = api.protocol;
  const version = flavour === 'rest' ? '1.0' : (cfg.payloadFormatVersion ?? '2.0');
  const requestMapping = cfg.requestParameters && flavour === 'http' ? compileHttpRequestMapping(cfg.requestParameters) : null;
  if (requestMapping && !requestMapping.ok) throw new ConfigError([{ path: 'requestParameters', message: requestMapping.error }]);
  const responseMappings = cfg.responseParameters ? compileHttpResponseMappings(cfg.responseParameters) : null;
  if (responseMappings && !responseMappings.ok) throw new ConfigError([{ path: 'responseParameters', message: responseMappings.error }]);

  return {
    type: 'lambda',
    async invoke({ request, ctx }) {
      // The event holds the body, so a body over Lambda's payload limit is refused unread, or cut
      // while reading: nothing past the limit is ever buffered.
      const declared = request.body.declaredLength;
      if (declared !== null && declared > LAMBDA_REQUEST_PAYLOAD_LIMIT) throw payloadTooLarge(`content-length ${declared}`);
      const body = request.body.isEmpty ? null : await request.body.read(Math.min(api.maxBodyBytes, LAMBDA_REQUEST_PAYLOAD_LIMIT));
      const parts = eventParts(request);
      if (requestMapping?.ok) {
        const src = { ctx, headers: parts.headersV2, query: parts.queryV2, rawBody: body?.toString('utf8'), body: requestMapping.value.needsBody ? safeJson(body) : undefined };
        const mapped = applyHttpRequestMapping(requestMapping.value, src, parts.headersV2, Object.entries(parts.queryV2));
        parts.headersV2 = mapped.headers;
        parts.queryV2 = Object.fromEntries(mapped.query);
      }
      const event = version === '2.0' ? buildEventV2({ request, ctx, parts, body }) : buildEventV1({ request, ctx, parts, body, binaryMediaTypes: api.binaryMediaTypes }, flavour);
      const payloadBytes = invocationPayloadBytes(event);
      if (payloadBytes > LAMBDA_REQUEST_PAYLOAD_LIMIT) throw payloadTooLarge(`the event is ${payloadBytes} bytes`);
      const result = await fn.invoke(event, randomUUID(), spec.value.timeoutMs);
      ctx.integrationLatencyMs = result.durationMs;
      const errors = INTEGRATION_ERRORS;
      if (!result.ok) {
        ctx.integrationErrorMessage = `${result.error.errorType}: ${result.error.errorMessage}`;
        if (result.error.kind === 'timeout') {
          const e = flavour === 'rest' ? errors.rest.timeout : errors.http.timeout;
          throw new IntegrationTimeoutError(e.status, e.message, { detail: ctx.integrationErrorMessage });
        }
        const e = flavour === 'rest' ? errors.rest.lambdaFailure : errors.http.failure;
        throw new IntegrationFailureError(e.status, e.message, { detail: ctx.integrationErrorMessage });
      }
      const parsed = version === '2.0' ? parseResultV2(result.value) : parseResultV1(result.value, flavour);
      if (!parsed.ok) {
        ctx.integrationErrorMessage = `malformed Lambda proxy response: ${parsed.error}`;
        const e = flavour === 'rest' ? errors.rest.lambdaFailure : errors.http.failure;
        throw new IntegrationFailureError(e.status, e.message, { detail: ctx.integrationErrorMessage });
      }
      ctx.integrationStatus = parsed.value.status;
      return responseMappings?.ok ? applyHttpResponseMapping(responseMappings.value, parsed.value, ctx, request) : parsed.value;
    },
  };
}

/** 413 `Request Too Long` on both flavours, as for a body over `maxBodyBytes`. [INF for the Lambda limit] */
function payloadTooLarge(what: string): RequestTooLargeError {
  return new RequestTooLargeError({ detail: `${what}: over Lambda's invocation payload limit of ${LAMBDA_REQUEST_PAYLOAD_LIMIT} bytes` });
}

function safeJson(body: Buffer | null): unknown {
  if (!body) return undefined;
  try {
    // AWS evaluates $request.body.* on the first 100 KB only.
    return JSON.parse(body.subarray(0, 100 * 1024).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The registry entry (integrations/index.ts). */
export const lambdaIntegrationPlugin = defineIntegration({
  schema: lambdaIntegrationSchema,
  check: checkLambdaIntegration,
  compile: (config, api, deps) => createLambdaIntegration(config, api, { lambdaRuntime: deps.lambdaRuntime, baseDir: deps.baseDir }),
});
