import { test } from '../../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { resolveVariables, type VariableOptions } from './variables.ts';

function resolve(yaml: string, options: VariableOptions = {}) {
  return resolveVariables(parse(yaml) as Record<string, unknown>, options);
}
function ok(yaml: string, options: VariableOptions = {}) {
  const r = resolve(yaml, options);
  assert.deepEqual(r.issues, []);
  return r.value;
}
function issues(yaml: string, options: VariableOptions = {}) {
  return resolve(yaml, options).issues.map((i) => `${i.path}: ${i.message}`);
}

test('${self:} reads another key, keeps its type when alone, and is text inside a string', () => {
  const v = ok(`
custom: { port: 3000, names: [a, b], nested: { x: 1 } }
a: \${self:custom.port}
b: "http://localhost:\${self:custom.port}/x"
c: \${self:custom.names}
d: \${self:custom.nested}
e: \${self:custom.names.1}
f: \${self:service}
service: svc
`);
  assert.deepEqual([v.a, v.b, v.c, v.d, v.e, v.f], [3000, 'http://localhost:3000/x', ['a', 'b'], { x: 1 }, 'b', 'svc']);
});

test('${self:} follows chains of variables and resolves the target subtree', () => {
  const v = ok(`
custom:
  a: \${self:custom.b}
  b: \${self:custom.c}
  c: end
  obj:
    k: \${self:custom.c}
x: \${self:custom.a}
y: \${self:custom.obj}
`);
  assert.equal(v.x, 'end');
  assert.deepEqual(v.y, { k: 'end' });
});

test('${opt:stage, \'dev\'}: the --stage option, else the fallback', () => {
  assert.equal(ok(`s: \${opt:stage, 'dev'}`).s, 'dev');
  assert.equal(ok(`s: \${opt:stage, 'dev'}`, { stage: 'prod' }).s, 'prod');
  assert.equal(ok(`s: \${opt:stage, "dq"}`).s, 'dq');
  assert.equal(ok(`r: \${opt:region, 'eu-west-1'}`, { region: 'us-west-2' }).r, 'us-west-2');
});

test('${sls:stage}: --stage, else provider.stage (itself resolved), else dev', () => {
  assert.equal(ok('s: ${sls:stage}').s, 'dev');
  assert.equal(ok(`provider:\n  stage: \${opt:stage, 'qa'}\ns: \${sls:stage}`).s, 'qa');
  assert.equal(ok('provider: { stage: prod }\ns: ${sls:stage}', { stage: 'test' }).s, 'test');
  assert.equal(ok('provider: { stage: prod }\ns: ${sls:stage}-x').s, 'prod-x');
});

test('${env:NAME, default}: the environment, else the fallback; an unset one without fallback is an error', () => {
  assert.equal(ok(`a: \${env:HOME_X, 'fallback'}`).a, 'fallback');
  assert.equal(ok(`a: \${env:HOME_X, 'fallback'}`, { env: { HOME_X: 'set' } }).a, 'set');
  assert.equal(ok('a: ${env:N, 42}').a, 42);
  assert.equal(ok('a: ${env:N, null}').a, null);
  assert.equal(ok('a: ${env:N, true}').a, true);
  assert.deepEqual(issues('provider:\n  environment:\n    DB: ${env:DB_URL}'), [
    'provider.environment.DB: ${env:DB_URL}: environment variable DB_URL is not set and the variable has no fallback',
  ]);
});

test('${file(./x.yml):key} reads YAML or JSON beside the service, with variables of its own', () => {
  const files: Record<string, string> = {
    './config.yml': 'url: "http://\${self:custom.host}"\nlist: [1, 2]\n',
    './prod.json': '{"key": "from-json"}',
    './public_key': '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n',
  };
  const readFile = (p: string) => files[p];
  const v = ok(
    `
custom: { host: example.com }
a: \${file(./config.yml):url}
b: \${file(./config.yml):list}
c: \${file(./\${opt:stage}.json):key}
d: \${file(./config.yml)}
`,
    { readFile, stage: 'prod' },
  );
  assert.deepEqual([v.a, v.b, v.c], ['http://example.com', [1, 2], 'from-json']);
  assert.deepEqual(v.d, { url: 'http://example.com', list: [1, 2] });
  assert.equal(ok('k: ${file(./public_key)}', { readFile }).k, '-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n', 'a file that is not YAML or JSON is its text');
  assert.deepEqual(issues('a: ${file(./missing.yml):x}', { readFile }), ['a: ${file(./missing.yml):x}: file ./missing.yml does not exist']);
  assert.deepEqual(issues('a: ${file(./config.yml):nope}', { readFile }), ['a: ${file(./config.yml):nope}: no value at "nope" in ./config.yml']);
});

test('nested variables resolve inner first; fallbacks are tried in order, lazily', () => {
  const v = ok(
    `
custom:
  dev: { url: http://dev }
  prod: { url: http://prod }
a: \${self:custom.\${sls:stage}.url}
b: \${env:A, \${env:B, \${self:custom.dev.url}}}
c: \${env:A, \${ssm:/never/asked}}
`,
    { stage: 'prod', env: { A: 'from-a' } },
  );
  assert.deepEqual([v.a, v.b, v.c], ['http://prod', 'from-a', 'from-a']);
  assert.equal(ok('b: ${env:A, ${env:B, \'last\'}}').b, 'last');
});

test('${param:k}: --param first, then params.<stage>, then params.default', () => {
  const yaml = `
params:
  default: { domain: default.example, only: d }
  prod: { domain: prod.example }
a: \${param:domain}
b: \${param:only}
`;
  assert.deepEqual(ok(yaml).a, 'default.example');
  assert.deepEqual(ok(yaml, { stage: 'prod' }).a, 'prod.example');
  assert.deepEqual(ok(yaml, { stage: 'prod' }).b, 'd');
  assert.deepEqual(ok(yaml, { stage: 'prod', params: { domain: 'cli.example' } }).a, 'cli.example');
  assert.deepEqual(issues('a: ${param:nope}'), ["a: ${param:nope}: no parameter \"nope\" (pass --param 'nope=VALUE', or set params.dev.nope or params.default.nope)"]);
});

test('cycles in ${self:} are errors that show the chain', () => {
  assert.deepEqual(issues('custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}'), [
    'custom.a: variable cycle: ${self:custom.a} → ${self:custom.b} → ${self:custom.a}',
    'custom.b: variable cycle: ${self:custom.b} → ${self:custom.a} → ${self:custom.b}',
  ]);
  assert.deepEqual(issues('custom:\n  a: ${self:custom}'), ['custom.a: variable cycle: ${self:custom.a} → ${self:custom.a}']);
});

test('cloud sources are errors naming the variable and how to supply it; --param supplies it', () => {
  assert.deepEqual(issues('provider: { environment: { DB: "${ssm:/app/db-url}" } }'), [
    "provider.environment.DB: ${ssm:/app/db-url} needs AWS Systems Manager Parameter Store, which Portcullis does not call; supply the value locally with --param 'ssm:/app/db-url=VALUE' (or give the variable a fallback, e.g. ${ssm:/app/db-url, ${env:NAME}})",
  ]);
  assert.match(issues('a: ${cf:stack.Output}')[0]!, /^a: \$\{cf:stack\.Output\} needs a CloudFormation stack output, .* --param 'cf:stack\.Output=VALUE'/);
  assert.match(issues('a: ${s3:bucket/key}')[0]!, /needs an S3 object/);
  assert.match(issues('a: ${ssm(us-east-1):/x}')[0]!, /needs AWS Systems Manager/);
  assert.equal(ok('a: ${ssm:/app/db-url}', { params: { 'ssm:/app/db-url': 'postgres://local' } }).a, 'postgres://local');
  assert.equal(ok("a: ${ssm:/app/x, 'ignored'}", { params: { 'ssm:/app/x': 'given' } }).a, 'given');
});

test('CloudFormation ${AWS::Region} and plain text are left alone; bad fallbacks and unknown sls keys are errors', () => {
  const v = ok('a: { "Fn::Sub": "arn:aws:s3:::${AWS::Region}-${Bucket}" }\nb: "$notavar {x}"');
  assert.deepEqual(v.a, { 'Fn::Sub': 'arn:aws:s3:::${AWS::Region}-${Bucket}' });
  assert.equal(v.b, '$notavar {x}');
  assert.deepEqual(issues('a: ${env:X, bareword}'), ['a: ${env:X, bareword}: the fallback bareword must be a quoted string, a number, true, false, null or a variable']);
  assert.deepEqual(issues('a: ${sls:nope}'), ['a: ${sls:nope}: unknown sls variable "nope" (known: stage, instanceId)']);
  assert.deepEqual(issues('custom: { o: { k: 1 } }\na: "x-${self:custom.o}"'), ['a: ${self:custom.o} is a mapping, which cannot be part of the string "x-${self:custom.o}"']);
});

test('${aws:region} is provider.region; ${opt:x} without fallback names the option', () => {
  assert.equal(ok('provider: { region: eu-west-1 }\na: ${aws:region}').a, 'eu-west-1');
  assert.equal(ok('a: ${aws:accountId}').a, '123456789012');
  assert.deepEqual(issues('a: ${opt:foo}'), ['a: ${opt:foo}: option --foo was not given (Portcullis passes --stage and --region; give the variable a fallback)']);
});
