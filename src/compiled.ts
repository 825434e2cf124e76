/**
 * @module compiled — the types of a compiled config: what `compileGateway()` (gateway.ts) builds and the
 * request pipeline (pipeline.ts) runs on. [glue, types only]
 *
 * They sit below both so that the pipeline does not import the gateway that calls it.
 */
import type { Authorizer } from './authorizers/authorizer.ts';
import type { ApiConfig, GatewayConfig, RouteConfig } from './core/config.ts';
import type { CompiledCors } from './core/cors.ts';
import type { CompiledGatewayResponses } from './core/gateway-responses.ts';
import type { MappingSource } from './core/mapping.ts';
import type { RouteTable } from './core/routes.ts';
import type { Integration } from './integrations/integration.ts';
import type { AccessLog } from './io/access-log.ts';

export interface CompiledRoute {
  readonly routeKey: string;
  readonly config: Readonly<RouteConfig>;
  readonly authorizer: Authorizer | null;
  readonly integration: Integration;
  readonly methodResponseHeaders: ReadonlyArray<[string, (s: MappingSource) => string | undefined]> | null;
}

export interface CompiledApi {
  readonly config: Readonly<ApiConfig>;
  readonly name: string;
  readonly protocol: 'http' | 'rest';
  readonly stage: string;
  readonly apiId: string;
  readonly routes: RouteTable<CompiledRoute>;
  readonly cors: CompiledCors | null;
  readonly gatewayResponses: CompiledGatewayResponses | null;
  readonly accessLog: AccessLog | null;
  readonly authorizers: ReadonlyMap<string, Authorizer>;
}

export interface CompiledGateway {
  readonly config: Readonly<GatewayConfig>;
  readonly byStage: ReadonlyMap<string, CompiledApi>;
  readonly defaultStage: CompiledApi | null;
  readonly apis: readonly CompiledApi[];
  readonly accountId: string;
  readonly region: string;
  /**
   * How a path that selects no API is answered: `rest` (403 Missing Authentication Token, as an
   * execute-api endpoint of REST APIs answers an unknown stage or resource) when every API is a REST
   * API, else `http` (404 Not Found, the HTTP API answer).
   */
  readonly unmatchedPathFlavour: 'http' | 'rest';
}
