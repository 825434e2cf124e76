// fastify 5 + @fastify/jwt (fast-jwt underneath) + @fastify/reply-from (undici underneath).
// Env: PORT (9501), UPSTREAM, AUTH = none | jwt | jwt-cache (fast-jwt verified-token cache on)
import Fastify from 'fastify';
import fjwt from '@fastify/jwt';
import replyFrom from '@fastify/reply-from';
import { readFileSync } from 'node:fs';
const PORT = Number(process.env.PORT || 9501);
const UPSTREAM = process.env.UPSTREAM || 'http://127.0.0.1:9001';
const AUTH = process.env.AUTH || 'jwt';
const app = Fastify({ logger: false });
if (AUTH !== 'none') {
  await app.register(fjwt, {
    secret: { public: readFileSync(process.env.PUB_KEY, 'utf8') },
    verify: {
      algorithms: ['RS256'], allowedIss: 'https://issuer.example.test/', allowedAud: 'bench-api', clockTolerance: 60,
      ...(AUTH === 'jwt-cache' ? { cache: true, cacheTTL: 60_000 } : {}),
    },
  });
  app.addHook('onRequest', async (req, reply) => {
    try { await req.jwtVerify(); } catch { reply.code(401).send({ message: 'Unauthorized' }); return reply; }
  });
}
await app.register(replyFrom, { base: UPSTREAM, undici: { connections: 128, pipelining: 1 } });
app.all('/*', (req, reply) => reply.from(req.url, {
  rewriteRequestHeaders: (r, h) => (req.user?.sub ? { ...h, 'x-jwt-sub': req.user.sub } : h),
}));
await app.listen({ port: PORT, host: '127.0.0.1' });
console.log(`fastify-gw AUTH=${AUTH} :${PORT} -> ${UPSTREAM}`);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => process.exit(0));
