/**
 * @module supertokens/routes/core — `/hello`, `/apiversion`, the JWKS and the JWT recipe. [glue]
 */
import { sign } from 'node:crypto';
import { encodeCompactJws } from '../../core/jwt-codec.ts';
import { ok, optionalBoolean, outcome, requireObject, requireString, type Route } from './types.ts';
import { invalidField } from '../errors.ts';

import { CDI_VERSIONS } from '../cdi.ts';

export const coreRoutes: Route[] = [
  {
    method: 'GET',
    path: '/hello',
    scope: 'tenant',
    isPublic: true,
    async handle() {
      return { text: 'Hello' };
    },
  },
  {
    method: 'GET',
    path: '/apiversion',
    scope: 'app',
    skipsCdiVersion: true,
    async handle() {
      return { json: { versions: CDI_VERSIONS } };
    },
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    scope: 'app',
    isPublic: true,
    async handle(req) {
      const { keys, maxAgeSeconds } = await req.app.keys.jwks();
      return { json: { keys }, headers: { 'cache-control': `max-age=${maxAgeSeconds}, must-revalidate` } };
    },
  },
  {
    // Deprecated CDI path, kept for older SDKs.
    method: 'GET',
    path: '/recipe/jwt/jwks',
    scope: 'app',
    async handle(req) {
      const { keys, maxAgeSeconds } = await req.app.keys.jwks();
      return { ...ok({ keys }), headers: { 'cache-control': `max-age=${maxAgeSeconds}, must-revalidate` } };
    },
  },
  {
    method: 'POST',
    path: '/recipe/jwt',
    scope: 'app',
    async handle(req) {
      const payload = requireObject(req.body, 'payload');
      const algorithm = requireString(req.body, 'algorithm');
      const validity = req.body.validity;
      if (typeof validity !== 'number' || !Number.isInteger(validity) || validity <= 0) throw invalidField('validity');
      if (algorithm.toUpperCase() !== 'RS256') return outcome('UNSUPPORTED_ALGORITHM_ERROR');
      const useStatic = optionalBoolean(req.body, 'useStaticSigningKey', true);
      const key = await req.app.keys.signer(!useStatic);
      const nowSeconds = Math.floor(req.runtime.clock.nowMs() / 1000);
      const header = { alg: 'RS256', typ: 'JWT', kid: key.kid };
      const claims = { ...payload, iat: nowSeconds, exp: nowSeconds + validity };
      const jwt = encodeCompactJws(header, claims, (signingInput) => sign('sha256', signingInput, key.privateKey));
      return ok({ jwt });
    },
  },
];
