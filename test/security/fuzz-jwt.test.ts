/**
 * JWT fuzzing: mutated real tokens (and tokens built from scratch: `alg: none`, HS256 with the
 * public key as the secret, an attacker's key under a published kid, swapped signatures, random
 * headers and payloads) driven through `authorize()` of the real JWT authorizer with a real JWKS
 * on loopback. Properties:
 *   - nothing throws except a GatewayError with status 401 or 403;
 *   - a token is accepted only when its signing input is one the issuer's private keys signed and
 *     its signature verifies independently (node:crypto) with a key from the JWKS;
 *   - a token the issuer did sign is still refused when its header carries `b64` or `crit` (RFC 7797,
 *     RFC 7515 §4.1.11) or a time claim is not a number (`null` included), with that reason;
 *   - `decodeUnverifiedJwt` never throws on near-JWT input.
 * Seeded: FC_SEED reproduces, FC_RUNS lengthens (`FC_RUNS=100000 node scripts/run-tests.mjs fuzz-jwt`).
 */
import { after, before, test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { createHmac, verify as cryptoVerify, constants, sign as cryptoSign } from 'node:crypto';
import fc from 'fast-check';
import { GatewayError } from '../../src/core/errors.ts';
import { decodeUnverifiedJwt, isJwtRejection } from '../../src/core/jwt.ts';
import { b64url, bearer, claims, jwtConfig, makeAuthorizer, makeKey, makeRequest, sign, signRs256Raw, startIdp, NOW_S, type Idp, type TestKey } from '../jwt/fixtures.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const numRuns = Number(process.env.FC_RUNS ?? 300);

let idp: Idp;
let rsa: TestKey;
let ec: TestKey;
let attacker: TestKey;
let issuer: string;
let authorizer: ReturnType<typeof makeAuthorizer>['authorizer'];
/** Signing inputs the issuer's keys really signed. */
const genuine = new Set<string>();
const validTokens: string[] = [];
let jwksHits: () => number;

before(async () => {
  idp = await startIdp();
  rsa = await makeKey('fuzz-rsa', 'RS256');
  ec = await makeKey('fuzz-ec', 'ES256');
  attacker = await makeKey('fuzz-rsa-attacker', 'RS256');
  const t = idp.tenant('fuzz', [rsa.jwk, ec.jwk]);
  issuer = t.issuer;
  jwksHits = () => t.state.hits.jwks;
  // Long cooldown: unknown kids cost at most one refetch for the whole run.
  ({ authorizer } = makeAuthorizer(jwtConfig(issuer, { allowedAlgorithms: ['RS256', 'ES256', 'PS256'], jwksCooldownSeconds: 3600 })));
  await authorizer.warmUp();
  for (const [i, key] of [rsa, ec, rsa, ec].entries()) {
    const token = await sign(key, claims(issuer, { sub: `user-${i}`, scope: 'read write', ...(i >= 2 ? { nbf: NOW_S - 5, client_id: 'client-1' } : {}) }));
    validTokens.push(token);
    genuine.add(token.slice(0, token.lastIndexOf('.')));
  }
});
after(() => idp.close());

/** Independent check with node:crypto against the published JWKs. */
function independentlyVerifies(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = Buffer.from(parts[2]!, 'base64url');
  const key = header.kid === rsa.kid ? rsa : header.kid === ec.kid ? ec : undefined;
  if (!key) return false;
  if (header.alg === 'RS256') return key === rsa && cryptoVerify('sha256', data, key.publicKey, sig);
  if (header.alg === 'PS256') return key === rsa && cryptoVerify('sha256', data, { key: key.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, sig);
  if (header.alg === 'ES256') return key === ec && cryptoVerify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  return false;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const jsonValue = fc.jsonValue({ maxDepth: 2 });
const headerArb = fc.record(
  {
    alg: fc.oneof(fc.constantFrom('RS256', 'ES256', 'PS256', 'HS256', 'none', 'None', 'NONE', 'RS512', 'EdDSA', ''), jsonValue),
    kid: fc.oneof(fc.constantFrom('fuzz-rsa', 'fuzz-ec', 'fuzz-rsa-attacker', '', '../../etc/passwd', 'fuzz-rsa\u0000'), fc.string({ maxLength: 20 }), jsonValue),
    typ: fc.constantFrom('JWT', 'at+jwt', 'JOSE'),
    jku: fc.constant('http://127.0.0.1:1/evil-jwks'),
    jwk: fc.constant({ kty: 'oct', k: 'AAAA' }),
    crit: fc.constant(['exp']),
    b64: fc.constant(false),
    __proto__: fc.constant({ alg: 'none' }),
  },
  { requiredKeys: [] },
);
const claimsArb = fc.record(
  {
    iss: fc.oneof(fc.constant('ISSUER'), fc.string({ maxLength: 10 }), jsonValue),
    aud: fc.oneof(fc.constantFrom('api://default', 'client-1', 'other'), fc.array(fc.constantFrom('api://default', 'x'), { maxLength: 2 }), jsonValue),
    exp: fc.oneof(fc.constant(NOW_S + 3600), fc.constant(NOW_S - 1), fc.double(), fc.string({ maxLength: 4 }), jsonValue),
    nbf: fc.oneof(fc.constant(NOW_S + 3600), fc.integer(), jsonValue),
    iat: fc.oneof(fc.constant(NOW_S), fc.integer()),
    sub: fc.string({ maxLength: 8 }),
    scope: fc.oneof(fc.constant('read'), jsonValue),
    client_id: fc.constantFrom('client-1', 'nope'),
    constructor: jsonValue,
  },
  { requiredKeys: [] },
).map((c) => JSON.parse(JSON.stringify(c).replaceAll('"ISSUER"', JSON.stringify(issuer))) as Record<string, unknown>);

type Mutation = (tokens: readonly string[]) => string;
const pickToken = fc.nat({ max: 3 });

/** Every way of making a token that the issuer did not sign (or mangling one it did). */
const mutatedToken: fc.Arbitrary<string> = fc.oneof(
  // a character of the real token replaced (anywhere, including the dots)
  fc.tuple(pickToken, fc.nat(), fc.constantFrom(...B64, '.', '=', ' ', '+', '/', '%', '\u00ff')).map(([i, at, c]) => (tokens: readonly string[]) => {
    const t = tokens[i]!;
    const k = at % t.length;
    return t.slice(0, k) + c + t.slice(k + 1);
  }),
  // truncated, extended, or segments added / removed / duplicated
  fc.tuple(pickToken, fc.nat(), fc.constantFrom('cut', 'append', 'extra-segment', 'drop-signature', 'double', 'empty-signature', 'padding')).map(([i, at, op]) => (tokens: readonly string[]) => {
    const t = tokens[i]!;
    const s = t.slice(0, t.lastIndexOf('.'));
    switch (op) {
      case 'cut': return t.slice(0, at % t.length);
      case 'append': return `${t}A`;
      case 'extra-segment': return `${t}.AAAA`;
      case 'drop-signature': return s;
      case 'double': return `${t}${t}`;
      case 'empty-signature': return `${s}.`;
      default: return `${t}==`;
    }
  }),
  // a real signature under another header or payload (alg/kid switched, claims rewritten)
  fc.tuple(pickToken, headerArb, fc.option(claimsArb, { nil: undefined })).map(([i, h, c]) => (tokens: readonly string[]) => {
    const [, p, s] = tokens[i]!.split('.');
    return `${b64url(h)}.${c === undefined ? p : b64url(c)}.${s}`;
  }),
  // signatures swapped between genuine tokens
  fc.tuple(pickToken, pickToken).filter(([a, b]) => a !== b).map(([a, b]) => (tokens: readonly string[]) => {
    const x = tokens[a]!;
    const y = tokens[b]!;
    return x.slice(0, x.lastIndexOf('.')) + y.slice(y.lastIndexOf('.'));
  }),
  // alg none, HS256 keyed with the public key (algorithm confusion), the attacker's key under a published kid
  fc.tuple(claimsArb, fc.constantFrom('none', 'hs256-public-pem', 'hs256-public-jwk', 'attacker-kid-rsa', 'attacker-own-kid', 'rs256-raw-on-ec-kid')).map(([c, kind]) => (): string => {
    const payload = b64url({ ...claims(issuer), ...c });
    const make = (header: Record<string, unknown>, signer: (input: string) => string) => {
      const input = `${b64url(header)}.${payload}`;
      return `${input}.${signer(input)}`;
    };
    switch (kind) {
      case 'none': return make({ alg: 'none', kid: rsa.kid }, () => '');
      case 'hs256-public-pem': return make({ alg: 'HS256', kid: rsa.kid }, (x) => createHmac('sha256', rsa.publicKey.export({ type: 'spki', format: 'pem' })).update(x).digest('base64url'));
      case 'hs256-public-jwk': return make({ alg: 'HS256', kid: rsa.kid }, (x) => createHmac('sha256', JSON.stringify(rsa.jwk)).update(x).digest('base64url'));
      case 'attacker-kid-rsa': return make({ alg: 'RS256', kid: rsa.kid }, (x) => cryptoSign('sha256', Buffer.from(x), attacker.privateKey).toString('base64url'));
      case 'attacker-own-kid': return make({ alg: 'RS256', kid: attacker.kid }, (x) => cryptoSign('sha256', Buffer.from(x), attacker.privateKey).toString('base64url'));
      default: return make({ alg: 'RS256', kid: ec.kid }, (x) => cryptoSign('sha256', Buffer.from(x), attacker.privateKey).toString('base64url'));
    }
  }),
  // random text and random base64url triples
  fc.string({ maxLength: 200 }).map((s) => () => s),
  fc.tuple(fc.string({ unit: fc.constantFrom(...B64), maxLength: 60 }), fc.string({ unit: fc.constantFrom(...B64), maxLength: 60 }), fc.string({ unit: fc.constantFrom(...B64), maxLength: 400 })).map(([a, b, c]) => () => `${a}.${b}.${c}`),
).map((m: Mutation) => m as unknown as string);

const prefix = fc.constantFrom('Bearer ', 'bearer ', 'Bearer  ', '', 'Basic ', 'Bearer\t');

test('mutated and forged tokens are refused with 401/403, and only issuer-signed tokens are ever accepted', async () => {
  let accepted = 0;
  let refused = 0;
  await fc.assert(
    fc.asyncProperty(mutatedToken as unknown as fc.Arbitrary<Mutation>, prefix, async (mutate, pre) => {
      const token = mutate(validTokens);
      let outcome: unknown;
      try {
        outcome = await authorizer.authorize(makeRequest({ headers: { authorization: pre + token } }));
      } catch (err) {
        assert.ok(err instanceof GatewayError, `threw a non-gateway error: ${String(err)}`);
        assert.ok(err.status === 401 || err.status === 403, `status ${err.status}`);
        assert.ok(!String(err.publicMessage ?? '').includes(token) || token.length < 8, 'the token is never echoed');
        refused++;
        return;
      }
      accepted++;
      const bare = pre === 'Bearer ' ? token : pre + token;
      assert.ok(genuine.has(bare.slice(0, bare.lastIndexOf('.'))), `accepted a signing input the issuer never signed: ${bare.slice(0, 120)}`);
      assert.ok(independentlyVerifies(bare), 'accepted a token whose signature does not verify with a JWKS key');
      assert.equal((outcome as { kind: string }).kind, 'jwt');
    }),
    { seed, numRuns },
  );
  assert.ok(refused > 0);
  // Unknown kids in the run cost the issuer at most one refetch (the cooldown is an hour).
  assert.ok(jwksHits() <= 2, `JWKS fetched ${jwksHits()} times`);
  for (const t of validTokens) assert.equal((await authorizer.authorize(makeRequest(bearer(t)))).kind, 'jwt', 'genuine tokens still pass');
});

/** Header extras an issuer might sign: `crit` of any JSON shape or a list of names, `b64` of any value. */
const extensionHeaderArb = fc.record(
  {
    crit: fc.oneof(jsonValue, fc.array(fc.constantFrom('b64', 'x-ext', 'exp', 'alg', 'kid', ''), { maxLength: 3 })),
    b64: jsonValue,
    'x-ext': jsonValue,
  },
  { requiredKeys: [] },
);
const notANumber = jsonValue.filter((v) => typeof v !== 'number');
const timeClaimsArb = fc.record({ exp: notANumber, nbf: notANumber, iat: notANumber }, { requiredKeys: [] });

test('issuer-signed tokens with b64, crit or a non-numeric time claim are refused with that reason', async () => {
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(extensionHeaderArb, timeClaimsArb, async (header, times) => {
      const hasExtension = 'b64' in header || 'crit' in header;
      const badTime = (['exp', 'nbf', 'iat'] as const).find((name) => name in times);
      fc.pre(hasExtension || badTime !== undefined);
      // Signed by the issuer's own key: only these header or claim values can make it fail.
      const token = signRs256Raw(rsa, { ...claims(issuer), ...times }, header);
      const err = await authorizer.authorize(makeRequest(bearer(token))).then(
        () => assert.fail(`admitted: header ${JSON.stringify(header)}, times ${JSON.stringify(times)}`),
        (e: unknown) => e,
      );
      assert.ok(err instanceof GatewayError && err.status === 401, String(err));
      const expected =
        'b64' in header
          ? ['token header has a b64 parameter, which is not supported']
          : 'crit' in header
            ? ['token header has an invalid crit parameter', 'token header lists a critical extension that is not supported']
            : [`token has an invalid ${badTime} claim`];
      assert.ok(expected.includes(err.detail ?? ''), `${err.detail} for header ${JSON.stringify(header)}, times ${JSON.stringify(times)}`);
      checked++;
    }),
    { seed, numRuns },
  );
  assert.ok(checked > numRuns / 2, `only ${checked} of ${numRuns} runs built a hostile token`);
});

test('decodeUnverifiedJwt never throws on near-JWT input and never yields a __proto__ key', () => {
  const seg = fc.oneof(jsonValue.map((v) => b64url(v)), fc.string({ unit: fc.constantFrom(...B64, '=', '.', '+'), maxLength: 40 }), fc.constant(b64url('{"__proto__":{"x":1},"a":1}')));
  fc.assert(
    fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), (segments) => {
      const r = decodeUnverifiedJwt(segments.join('.'));
      if (isJwtRejection(r)) return;
      assert.equal(typeof r.header.raw, 'object');
      assert.ok(!Object.hasOwn(r.payload, '__proto__') && !Object.hasOwn(r.header.raw, '__proto__'));
      assert.equal(Object.getPrototypeOf(r.payload), Object.prototype);
    }),
    { seed, numRuns: numRuns * 3 },
  );
});
