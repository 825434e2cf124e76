/**
 * The JWT rejection matrix (issue 4 "Tests"), as data: each case builds its own issuer on the shared
 * IdP and says the request, the expected status, the `www-authenticate` description and
 * `$context.authorizer.error`. Run by rejections.test.ts (plug-in) and e2e.test.ts (gateway).
 */
import { SignJWT } from 'jose';
import { b64url, claims, makeKey, sign, signRs256Raw, type Idp, type RequestSpec, type TenantState, type TestKey } from './fixtures.ts';

export interface CaseEnv {
  idp: Idp;
  /** Creates a fresh issuer publishing `keys` (default: the RS256 key). */
  tenant(extra?: Partial<TenantState> & { keys?: TestKey[] }): Promise<string>;
  rsa: TestKey;
}

export interface CaseSetup {
  issuer: string;
  /** Overrides merged into the authorizer config. */
  config?: Record<string, unknown>;
  request: RequestSpec;
}

export interface RejectionCase {
  name: string;
  setup(env: CaseEnv): Promise<CaseSetup>;
  status: 401 | 403;
  /** `error_description` in `www-authenticate`; `null` when no header is expected. */
  description: string | null;
  /** `$context.authorizer.error`; default: equal to `description`. */
  detail?: string;
}

const auth = (value: string): RequestSpec => ({ headers: { authorization: value } });
const bearer = (token: string): RequestSpec => auth(`Bearer ${token}`);
const SEGMENTS = 'token contains an invalid number of segments';
const CRIT_INVALID = 'token header has an invalid crit parameter';
const CRIT_UNSUPPORTED = 'token header lists a critical extension that is not supported';
const B64_UNSUPPORTED = 'token header has a b64 parameter, which is not supported';

/** Swaps one character in the middle of a base64url segment for another valid one. */
function flip(segment: string): string {
  const i = Math.floor(segment.length / 2);
  return segment.slice(0, i) + (segment[i] === 'A' ? 'B' : 'A') + segment.slice(i + 1);
}

export const REJECTION_CASES: RejectionCase[] = [
  {
    name: 'no authorization header',
    setup: async (env) => ({ issuer: await env.tenant(), request: {} }),
    status: 401,
    description: 'token not provided',
    detail: 'missing: token not provided',
  },
  {
    name: 'empty authorization header',
    setup: async (env) => ({ issuer: await env.tenant(), request: auth('') }),
    status: 401,
    description: 'token not provided',
    detail: 'missing: token not provided',
  },
  {
    name: 'missing token without www-authenticate when wwwAuthenticateOnMissingToken is false',
    setup: async (env) => ({ issuer: await env.tenant(), request: {}, config: { wwwAuthenticateOnMissingToken: false } }),
    status: 401,
    description: null,
    detail: 'missing: token not provided',
  },
  {
    name: 'query-string identity source with the parameter absent',
    setup: async (env) => ({ issuer: await env.tenant(), request: { rawQueryString: 'other=1' }, config: { identitySource: '$request.querystring.token' } }),
    status: 401,
    description: 'token not provided',
    detail: 'missing: token not provided',
  },
  {
    name: '`Bearer` alone',
    setup: async (env) => ({ issuer: await env.tenant(), request: auth('Bearer') }),
    status: 401,
    description: SEGMENTS,
  },
  {
    name: 'one segment (`Bearer nonsense`, conformance vector 2)',
    setup: async (env) => ({ issuer: await env.tenant(), request: bearer('nonsense') }),
    status: 401,
    description: SEGMENTS,
  },
  {
    name: 'two segments',
    setup: async (env) => ({ issuer: await env.tenant(), request: bearer(`${b64url({ alg: 'RS256' })}.${b64url({})}`) }),
    status: 401,
    description: SEGMENTS,
  },
  {
    name: 'four segments',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(`${await sign(env.rsa, claims(issuer))}.x`) };
    },
    status: 401,
    description: SEGMENTS,
  },
  {
    name: 'header segment is not base64url',
    setup: async (env) => ({ issuer: await env.tenant(), request: bearer(`ey$%.${b64url({})}.sig`) }),
    status: 401,
    description: 'token header is not valid base64url',
  },
  {
    name: 'header is not JSON',
    setup: async (env) => ({ issuer: await env.tenant(), request: bearer(`${b64url('not json')}.${b64url({})}.c2ln`) }),
    status: 401,
    description: 'token header is not a valid JSON object',
  },
  {
    name: 'payload is a JSON array',
    setup: async (env) => ({ issuer: await env.tenant(), request: bearer(`${b64url({ alg: 'RS256', kid: 'k' })}.${b64url([1])}.c2ln`) }),
    status: 401,
    description: 'token payload is not a valid JSON object',
  },
  {
    name: 'lower-case `bearer ` prefix is not stripped',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: auth(`bearer ${await sign(env.rsa, claims(issuer))}`) };
    },
    status: 401,
    description: 'token header is not valid base64url',
  },
  {
    name: 'signed header with crit naming an unknown extension (RFC 7515 §4.1.11)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: ['x-unknown'], 'x-unknown': 1 })) };
    },
    status: 401,
    description: CRIT_UNSUPPORTED,
  },
  {
    name: 'signed header with crit naming an extension absent from the header',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: ['x-unknown'] })) };
    },
    status: 401,
    description: CRIT_UNSUPPORTED,
  },
  {
    name: 'signed header with an empty crit list',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: [] })) };
    },
    status: 401,
    description: CRIT_INVALID,
  },
  {
    name: 'signed header with crit as a string, not a list',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: 'x-unknown' })) };
    },
    status: 401,
    description: CRIT_INVALID,
  },
  {
    name: 'signed header with crit null',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: null })) };
    },
    status: 401,
    description: CRIT_INVALID,
  },
  {
    name: 'signed header with crit listing a JWS-defined name (alg)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: ['alg'] })) };
    },
    status: 401,
    description: CRIT_INVALID,
  },
  {
    name: 'signed header with crit listing a name twice',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { crit: ['x-a', 'x-a'], 'x-a': 1 })) };
    },
    status: 401,
    description: CRIT_INVALID,
  },
  {
    name: 'signed header with b64 false and crit b64 (RFC 7797)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { b64: false, crit: ['b64'] })) };
    },
    status: 401,
    description: B64_UNSUPPORTED,
  },
  {
    name: 'signed header with b64 false without crit',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { b64: false })) };
    },
    status: 401,
    description: B64_UNSUPPORTED,
  },
  {
    name: 'signed header with b64 true',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(signRs256Raw(env.rsa, claims(issuer), { b64: true, crit: ['b64'] })) };
    },
    status: 401,
    description: B64_UNSUPPORTED,
  },
  {
    name: 'alg none (unsigned)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(`${b64url({ alg: 'none', kid: env.rsa.kid })}.${b64url(claims(issuer))}.`) };
    },
    status: 401,
    description: 'signing method none is invalid',
  },
  {
    name: 'header without alg',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(`${b64url({ kid: env.rsa.kid })}.${b64url(claims(issuer))}.c2ln`) };
    },
    status: 401,
    description: 'signing method (missing) is invalid',
  },
  {
    name: 'a 1000-character alg is echoed capped at 40 characters',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(`${b64url({ alg: 'X'.repeat(1000), kid: env.rsa.kid })}.${b64url(claims(issuer))}.c2ln`) };
    },
    status: 401,
    description: `signing method ${'X'.repeat(40)}... is invalid`,
  },
  {
    name: 'HS256 signed with the public key as the secret',
    setup: async (env) => {
      const issuer = await env.tenant();
      const secret = env.rsa.publicKey.export({ type: 'spki', format: 'pem' });
      const token = await new SignJWT(claims(issuer)).setProtectedHeader({ alg: 'HS256', kid: env.rsa.kid }).sign(Buffer.from(secret));
      return { issuer, request: bearer(token) };
    },
    status: 401,
    description: 'signing method HS256 is invalid',
  },
  {
    name: 'HS256 even when everything else is allowed',
    setup: async (env) => {
      const issuer = await env.tenant();
      const token = await new SignJWT(claims(issuer)).setProtectedHeader({ alg: 'HS256', kid: env.rsa.kid }).sign(Buffer.alloc(32, 1));
      return { issuer, request: bearer(token), config: { allowedAlgorithms: ['RS256', 'ES256', 'PS256', 'EdDSA'] } };
    },
    status: 401,
    description: 'signing method HS256 is invalid',
  },
  {
    name: 'ES256 when not allowed (conformance vector 3)',
    setup: async (env) => {
      const ec = await makeKey('ec-1', 'ES256');
      const issuer = await env.tenant({ keys: [env.rsa, ec] });
      return { issuer, request: bearer(await sign(ec, claims(issuer))) };
    },
    status: 401,
    description: 'signing method ES256 is invalid',
  },
  {
    name: 'PS256 when not allowed',
    setup: async (env) => {
      const ps = await makeKey('ps-1', 'PS256');
      const issuer = await env.tenant({ keys: [ps] });
      return { issuer, request: bearer(await sign(ps, claims(issuer))) };
    },
    status: 401,
    description: 'signing method PS256 is invalid',
  },
  {
    name: 'algorithm confusion: RS256 header naming an EC key',
    setup: async (env) => {
      const ec = await makeKey('ec-1', 'ES256', { withAlg: false });
      const issuer = await env.tenant({ keys: [ec] });
      const token = `${b64url({ alg: 'RS256', kid: 'ec-1' })}.${b64url(claims(issuer))}.${Buffer.alloc(256, 7).toString('base64url')}`;
      return { issuer, request: bearer(token), config: { allowedAlgorithms: ['RS256', 'ES256'] } };
    },
    status: 401,
    description: "the key for the token's kid cannot verify signing method RS256",
  },
  {
    name: 'RS384 token naming a JWK pinned to RS256',
    setup: async (env) => {
      const issuer = await env.tenant();
      const k384 = { ...env.rsa, alg: 'RS384' };
      return { issuer, request: bearer(await sign(k384, claims(issuer))) };
    },
    status: 401,
    description: "the key for the token's kid cannot verify signing method RS384",
  },
  {
    name: 'RSA key shorter than 2048 bits',
    setup: async (env) => {
      const weak = await makeKey('weak', 'RS256', { modulusLength: 1024 });
      const issuer = await env.tenant({ keys: [weak] });
      return { issuer, request: bearer(signRs256Raw(weak, claims(issuer))) };
    },
    status: 401,
    description: "the key for the token's kid cannot verify signing method RS256",
  },
  {
    name: 'unknown kid',
    setup: async (env) => {
      const other = await makeKey('other-kid');
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(other, claims(issuer))) };
    },
    status: 401,
    description: "no key in the issuer's JWKS matches the token's kid",
  },
  {
    name: 'kid missing from the header',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer), { kid: undefined })) };
    },
    status: 401,
    description: 'token header has no kid',
  },
  {
    name: 'tampered payload',
    setup: async (env) => {
      const issuer = await env.tenant();
      const [h, , s] = (await sign(env.rsa, claims(issuer))).split('.');
      return { issuer, request: bearer(`${h}.${b64url(claims(issuer, { sub: 'admin' }))}.${s}`) };
    },
    status: 401,
    description: 'signature is invalid',
  },
  {
    name: 'tampered signature',
    setup: async (env) => {
      const issuer = await env.tenant();
      const [h, p, s] = (await sign(env.rsa, claims(issuer))).split('.');
      return { issuer, request: bearer(`${h}.${p}.${flip(s!)}`) };
    },
    status: 401,
    description: 'signature is invalid',
  },
  {
    name: 'signed by another key under a published kid',
    setup: async (env) => {
      const issuer = await env.tenant();
      const impostor = await makeKey('impostor');
      return { issuer, request: bearer(await sign(impostor, claims(issuer), { kid: env.rsa.kid })) };
    },
    status: 401,
    description: 'signature is invalid',
  },
  {
    name: 'expired',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iat: 1_718_700_000, exp: 1_718_721_999 }))) };
    },
    status: 401,
    description: 'token is expired',
  },
  {
    name: 'exp equal to now is expired',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: 1_718_722_000 }))) };
    },
    status: 401,
    description: 'token is expired',
  },
  {
    name: 'nbf in the future',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { nbf: 1_718_722_060 }))) };
    },
    status: 401,
    description: 'token is not valid yet',
  },
  {
    name: 'iat in the future',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iat: 1_718_722_060 }))) };
    },
    status: 401,
    description: 'token used before issued',
  },
  {
    name: 'exp is not a number',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: '1718725600' }))) };
    },
    status: 401,
    description: 'token has an invalid exp claim',
  },
  {
    name: 'exp is null',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: null }))) };
    },
    status: 401,
    description: 'token has an invalid exp claim',
  },
  {
    name: 'exp is a boolean',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: true }))) };
    },
    status: 401,
    description: 'token has an invalid exp claim',
  },
  {
    name: 'exp is an object',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: { seconds: 1_718_725_600 } }))) };
    },
    status: 401,
    description: 'token has an invalid exp claim',
  },
  {
    name: 'nbf is null',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { nbf: null }))) };
    },
    status: 401,
    description: 'token has an invalid nbf claim',
  },
  {
    name: 'nbf is a numeric string',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { nbf: '1718721000' }))) };
    },
    status: 401,
    description: 'token has an invalid nbf claim',
  },
  {
    name: 'iat is null',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iat: null }))) };
    },
    status: 401,
    description: 'token has an invalid iat claim',
  },
  {
    name: 'iat is a boolean',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iat: false }))) };
    },
    status: 401,
    description: 'token has an invalid iat claim',
  },
  {
    name: 'iat is an array',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iat: [1_718_721_000] }))) };
    },
    status: 401,
    description: 'token has an invalid iat claim',
  },
  {
    name: 'no exp when requireExp is true',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { exp: undefined }))), config: { requireExp: true } };
    },
    status: 401,
    description: 'token has no exp claim',
  },
  {
    name: 'wrong iss',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iss: 'https://evil.example' }))) };
    },
    status: 401,
    description: 'issuer does not match',
  },
  {
    name: 'iss with a trailing slash',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iss: `${issuer}/` }))) };
    },
    status: 401,
    description: 'issuer does not match',
  },
  {
    name: 'no iss',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { iss: undefined }))) };
    },
    status: 401,
    description: 'issuer does not match',
  },
  {
    name: 'discovery document names another issuer',
    setup: async (env) => {
      const issuer = await env.tenant({ discoveryIssuer: 'https://elsewhere.example' });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))) };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the issuer in the OIDC discovery endpoint metadata does not match the configured issuer",
  },
  {
    name: 'aud wrong while client_id right (aud wins, conformance vector 4)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { aud: 'someone-else', client_id: 'client-1' }))) };
    },
    status: 401,
    description: 'the token does not have a valid audience',
  },
  {
    name: 'aud array with no listed value',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { aud: ['a', 'b'] }))) };
    },
    status: 401,
    description: 'the token does not have a valid audience',
  },
  {
    name: 'no aud and a wrong client_id',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { aud: undefined, client_id: 'client-2' }))) };
    },
    status: 401,
    description: 'the token does not have a valid audience',
  },
  {
    name: 'neither aud nor client_id',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { aud: undefined }))) };
    },
    status: 401,
    description: 'the token does not have a valid audience',
  },
  {
    name: 'missing scope (conformance vector 6)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: { ...bearer(await sign(env.rsa, claims(issuer, { scope: 'write' }))), authorizationScopes: ['read'] } };
    },
    status: 403,
    description: null,
    detail: "the token does not have any of the route's authorization scopes",
  },
  {
    name: 'scp array without a route scope (scp wins over scope)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: { ...bearer(await sign(env.rsa, claims(issuer, { scp: ['write', 'admin'], scope: 'read' }))), authorizationScopes: ['read'] } };
    },
    status: 403,
    description: null,
    detail: "the token does not have any of the route's authorization scopes",
  },
  {
    name: 'route scopes and a token without any scope (ID token)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: { ...bearer(await sign(env.rsa, claims(issuer))), authorizationScopes: ['read'] } };
    },
    status: 403,
    description: null,
    detail: "the token does not have any of the route's authorization scopes",
  },
  {
    name: 'oversize token (over 10240 bytes)',
    setup: async (env) => {
      const issuer = await env.tenant();
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer, { pad: 'x'.repeat(11_000) }))) };
    },
    status: 401,
    description: 'token is larger than 10240 bytes',
  },
  {
    name: 'JWKS response over 150000 bytes',
    setup: async (env) => {
      const issuer = await env.tenant({ jwksPadToBytes: 150_001 });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))) };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the JWKS endpoint response is larger than 150000 bytes",
  },
  {
    name: 'discovery timeout',
    setup: async (env) => {
      const issuer = await env.tenant({ discoveryDelayMs: 2_000 });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))), config: { jwksTimeoutInMillis: 150 } };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the OIDC discovery endpoint did not answer within 150 ms",
  },
  {
    name: 'JWKS timeout',
    setup: async (env) => {
      const issuer = await env.tenant({ jwksDelayMs: 2_000 });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))), config: { jwksTimeoutInMillis: 150 } };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the JWKS endpoint did not answer within 150 ms",
  },
  {
    name: 'JWKS endpoint answers 500',
    setup: async (env) => {
      const issuer = await env.tenant({ jwksStatus: 500 });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))) };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the JWKS endpoint answered with status 500",
  },
  {
    name: 'issuer unreachable',
    setup: async (env) => {
      const issuer = await env.tenant({ down: true });
      return { issuer, request: bearer(await sign(env.rsa, claims(issuer))) };
    },
    status: 401,
    description: "unable to get the issuer's signing keys: the OIDC discovery endpoint could not be reached (UND_ERR_SOCKET)",
  },
];
