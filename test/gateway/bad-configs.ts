/**
 * Bad configs with the exact problem lines they must produce: `parseConfig()` in config.test.ts, and the
 * `validate` and `start` commands alike in validate-start.test.ts.
 */
export const mock = { integration: { type: 'mock' } };
export const httpApi = (extra: object = {}, routes: object = { 'GET /x': mock }) => ({ apis: [{ name: 'a', protocol: 'http', stage: '$default', routes, ...extra }] });
export const restApi = (extra: object = {}, routes: object = { 'GET /x': mock }) => ({ apis: [{ name: 'r', protocol: 'rest', stage: 'prod', routes, ...extra }] });
export const jwt = { authorizerType: 'JWT', jwtConfiguration: { issuer: 'https://issuer.example', audience: ['a'] } };

/** [name, config, exact expected issue lines] */
export const BAD: Array<[string, unknown, string[]]> = [
  ['integration uri not http(s)', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'ftp://x' } } }), ['apis[0].routes["GET /x"].integration.uri: must be an absolute http(s) URL']],
  ['misspelt key gets a did-you-mean', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', timeoutInMilis: 3 } } }), ['apis[0].routes["GET /x"].integration.timeoutInMilis: unknown key (did you mean "timeoutInMillis"?)']],
  ['unknown API key', httpApi({ protocl: 'http' }), ['apis[0].protocl: unknown key (did you mean "protocol"?)']],
  ['bad protocol', { apis: [{ name: 'a', protocol: 'grpc', stage: '$default', routes: {} }] }, ['apis[0].protocol: must be one of "http", "rest", got "grpc"']],
  ['unknown authorizer reference', httpApi({}, { 'GET /x': { authorizerId: 'nope', ...mock } }), ['apis[0].routes["GET /x"].authorizerId: unknown authorizer "nope" (known: none)']],
  ['unknown integration type', httpApi({}, { 'GET /x': { integration: { type: 'lambada' } } }), ['apis[0].routes["GET /x"].integration.type: must be one of "lambda", "http", "mock", got "lambada"']],
  ['unknown method in route key', httpApi({}, { 'FETCH /x': mock }), ['apis[0].routes["FETCH /x"]: unknown method "FETCH" (one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY)']],
  ['two JWT identity sources', httpApi({ authorizers: { j: { ...jwt, identitySource: ['$request.header.A', '$request.header.B'] } } }), ['apis[0].authorizers.j.identitySource: must be exactly one identity source, got 2']],
  ['credentials with a wildcard origin', httpApi({ cors: { allowOrigins: ['*'], allowCredentials: true } }), ['apis[0].cors.allowCredentials: cannot be true while allowOrigins contains "*" (browsers reject credentials with a wildcard origin)']],
  ['unknown context variable in a REST mapping', restApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', requestParameters: { 'integration.request.header.x': 'context.authorizer.principalId.foo' } } } }), ['apis[0].routes["GET /x"].integration.requestParameters["integration.request.header.x"]: unknown variable context.authorizer.principalId.foo']],
  ['uri parameter the route lacks', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u/{id}' } } }), ['apis[0].routes["GET /x"].integration.uri: uses {id} but the route has no such path parameter (has: none)']],
  ['port out of range', { server: { port: 70000 } }, ['server.port: must be <= 65535, got number 70000']],
  ['workers neither a count nor auto', { server: { workers: 'many' } }, ['server.workers: must be one of "auto", got "many"']],
  ['no workers', { server: { workers: 0 } }, ['server.workers: must be >= 1, got number 0']],
  ['unset environment variable', { apis: [{ name: 'a', protocol: 'http', stage: '${STAGE}', routes: {} }] }, ['apis[0].stage: environment variable STAGE is not set (write ${STAGE:-default} for a default)']],
  ['apis not a list', { apis: 'x' }, ['apis: must be an array, got "x"']],
  ['reserved header mapping', httpApi({}, { 'GET /x': { integration: { type: 'http', uri: 'http://u', requestParameters: { 'overwrite:header.Authorization': 'x' } } } }), ['apis[0].routes["GET /x"].integration.requestParameters["overwrite:header.Authorization"]: header "Authorization" is reserved and cannot be mapped (AWS rejects it)']],
  ['more than 10 authorizers', httpApi({ authorizers: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, jwt])) }), ['apis[0].authorizers: at most 10 authorizers per API (AWS limit), got 11']],
  ['JWT authorizer on a REST API', restApi({ authorizers: { j: jwt } }), ['apis[0].authorizers.j.authorizerType: JWT authorizers are an HTTP API feature (use a REQUEST or TOKEN authorizer on REST APIs)']],
  ['gateway responses on an HTTP API', httpApi({ gatewayResponses: { UNAUTHORIZED: {} } }), ['apis[0].gatewayResponses: gateway responses are a REST API feature (HTTP APIs have none)']],
  ['misspelt gateway response type', restApi({ gatewayResponses: { ACCES_DENIED: {} } }), ['apis[0].gatewayResponses.ACCES_DENIED: unknown gateway response type (did you mean "ACCESS_DENIED"?)']],
  ['unknown template variable', restApi({ gatewayResponses: { UNAUTHORIZED: { responseTemplates: { 'application/json': '{"id":"$context.requestIdd"}' } } } }), ['apis[0].gatewayResponses.UNAUTHORIZED.responseTemplates["application/json"]: unknown variable $context.requestIdd (did you mean $context.requestId?)']],
  ['unknown access-log variable', httpApi({ accessLogSettings: { format: '$context.statuss' } }), ['apis[0].accessLogSettings.format: unknown variable $context.statuss (did you mean $context.status?)']],
  ['greedy parameter not last', httpApi({}, { 'GET /{p+}/x': mock }), ['apis[0].routes["GET /{p+}/x"]: greedy parameter {p+} must be the last segment']],
  ['two APIs on one stage', { apis: [httpApi().apis[0], { ...httpApi().apis[0], name: 'b' }] }, ['apis[1].stage: stage "$default" is already served by API "a" on this listener']],
  ['scopes without a JWT authorizer', httpApi({}, { 'GET /x': { authorizationScopes: ['read'], ...mock } }), ['apis[0].routes["GET /x"].authorizationScopes: needs a JWT authorizer on the route']],
  ['TOKEN authorizer without a function', restApi({ authorizers: { t: { authorizerType: 'TOKEN' } } }), ['apis[0].authorizers.t: needs a `function` (handler module) or an `authorizerUri` (HTTP endpoint)']],
  ['a claim rule with an unknown operator', httpApi({ authorizers: { j: jwt } }, { 'GET /x': { authorizerId: 'j', claims: { 'st-role.v': { include: 'admin' } }, ...mock } }), ['apis[0].routes["GET /x"].claims["st-role.v"].include: unknown claim operator; known: equals, includes, includesAny, includesAll, excludes, exists, min, max, maxAgeSeconds']],
  ['missing required route integration', httpApi({}, { 'GET /x': {} }), ['apis[0].routes["GET /x"].integration: is required (object)']],
  ['a bad authorizer does not hide a bad route', httpApi({ authorizers: { j: { ...jwt, jwtConfiguration: { issuer: 'https://i.example', audiance: ['a'] } } } }, { 'GET /x': { integration: { type: 'http', uri: 'http://u', timeoutInMillis: 'soon' } } }), [
    'apis[0].authorizers.j.jwtConfiguration.audience: is required (array)',
    'apis[0].authorizers.j.jwtConfiguration.audiance: unknown key (did you mean "audience"?)',
    'apis[0].routes["GET /x"].integration.timeoutInMillis: must be a number, got "soon"',
  ]],
  ['an unknown authorizer type names the known ones', httpApi({ authorizers: { c: { authorizerType: 'COGNITO_USER_POOLS' } } }), ['apis[0].authorizers.c.authorizerType: must be one of "JWT", "REQUEST", "TOKEN", got "COGNITO_USER_POOLS"']],
];

