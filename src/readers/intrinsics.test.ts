import { test } from '../../test/helpers/node-test.ts';
import assert from 'node:assert/strict';
import { parseDocument } from 'yaml';
import type { ConfigIssue } from '../core/errors.ts';
import { cloudFormationTags, functionNameOfArn, IntrinsicResolver, NO_VALUE } from './intrinsics.ts';

const TEMPLATE = {
  Parameters: {
    Env: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] },
    Zones: { Type: 'CommaDelimitedList', Default: 'a, b,c' },
    Size: { Type: 'Number', Default: 3 },
    NoDefault: { Type: 'String' },
  },
  Mappings: { Regions: { 'us-east-1': { Ami: 'ami-1' } } },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
    IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    Both: { 'Fn::And': [{ Condition: 'IsDev' }, { 'Fn::Equals': ['x', 'x'] }] },
    Either: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] },
    Loop: { 'Fn::Not': [{ Condition: 'Loop' }] },
  },
  Resources: {
    Fn: { Type: 'AWS::Serverless::Function', Properties: { FunctionName: { 'Fn::Sub': '${Env}-fn' } } },
    Plain: { Type: 'AWS::Lambda::Function', Properties: {} },
    Pool: { Type: 'AWS::Cognito::UserPool' },
    Api: { Type: 'AWS::ApiGateway::RestApi' },
    ProdOnly: { Type: 'AWS::S3::Bucket', Condition: 'IsProd' },
  },
};

function resolver(overrides: Record<string, string> = {}) {
  const errors: ConfigIssue[] = [];
  return { r: new IntrinsicResolver(TEMPLATE, overrides, errors), errors };
}

function value(v: unknown, overrides: Record<string, string> = {}) {
  const { r, errors } = resolver(overrides);
  return { value: r.resolve(v, 'X'), errors: errors.map((e) => `${e.path}: ${e.message}`) };
}

test('Ref: parameters (default, override, list types), pseudo parameters, resources', () => {
  assert.equal(value({ Ref: 'Env' }).value, 'dev');
  assert.equal(value({ Ref: 'Env' }, { Env: 'prod' }).value, 'prod');
  assert.deepEqual(value({ Ref: 'Zones' }).value, ['a', 'b', 'c']);
  assert.equal(value({ Ref: 'Size' }).value, 3);
  assert.equal(value({ Ref: 'AWS::Region' }).value, 'us-east-1');
  assert.equal(value({ Ref: 'AWS::AccountId' }).value, '123456789012');
  assert.equal(value({ Ref: 'AWS::Partition' }).value, 'aws');
  assert.equal(value({ Ref: 'AWS::StackName' }).value, 'portcullis-local');
  assert.equal(value({ Ref: 'AWS::URLSuffix' }).value, 'amazonaws.com');
  assert.equal(value({ Ref: 'Fn' }).value, 'dev-fn');
  assert.equal(value({ Ref: 'Plain' }).value, 'Plain');
  assert.equal(value({ Ref: 'Pool' }, { Pool: 'us-east-1_AbC' }).value, 'us-east-1_AbC');
  assert.deepEqual(value({ a: { Ref: 'AWS::NoValue' }, b: 1 }).value, { b: 1 });
  const { r } = resolver();
  assert.equal(r.resolve({ Ref: 'AWS::NoValue' }, 'X'), NO_VALUE);
});

test('Ref: unknown names, parameters without a value and overrides outside AllowedValues are errors', () => {
  assert.deepEqual(value({ Ref: 'Nope' }).errors, ['X.Ref: no parameter or resource named Nope']);
  assert.deepEqual(value({ Ref: 'NoDefault' }).errors, ['Parameters.NoDefault: has no Default: pass --parameter-overrides NoDefault=VALUE']);
  assert.deepEqual(value({ Ref: 'Env' }, { Env: 'qa' }).errors, ['Parameters.Env: --parameter-overrides Env=qa is not one of its AllowedValues (dev, prod)']);
  assert.deepEqual(resolver({ Nope: '1' }).errors.map((e) => `${e.path}: ${e.message}`), ['--parameter-overrides: Nope: the template has no parameter or resource Nope (known: Env, Zones, Size, NoDefault)']);
});

test('Fn::GetAtt: Lambda ARNs name the function again; Cognito and generic attributes', () => {
  assert.equal(value({ 'Fn::GetAtt': ['Fn', 'Arn'] }).value, 'arn:aws:lambda:us-east-1:123456789012:function:dev-fn');
  assert.equal(value({ 'Fn::GetAtt': 'Plain.Arn' }).value, 'arn:aws:lambda:us-east-1:123456789012:function:Plain');
  assert.equal(value({ 'Fn::GetAtt': ['Pool', 'ProviderURL'] }).value, 'https://cognito-idp.us-east-1.amazonaws.com/Pool');
  assert.equal(value({ 'Fn::GetAtt': ['Api', 'RootResourceId'] }).value, 'Api.RootResourceId');
  assert.deepEqual(value({ 'Fn::GetAtt': ['Ghost', 'Arn'] }).errors, ['X.Fn::GetAtt: no resource named Ghost (known: Fn, Plain, Pool, Api, ProdOnly)']);
  assert.deepEqual(value({ 'Fn::GetAtt': 'NoDot' }).errors, ['X.Fn::GetAtt: takes [LogicalId, Attribute] or "LogicalId.Attribute", got "NoDot"']);
});

test('Fn::Sub: both forms, ${Res.Attr}, ${!Literal}, and values that are not text', () => {
  assert.equal(value({ 'Fn::Sub': 'arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations' }).value, 'arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:dev-fn/invocations');
  assert.equal(value({ 'Fn::Sub': ['${Name}-${Env}', { Name: { Ref: 'Plain' } }] }).value, 'Plain-dev');
  assert.equal(value({ 'Fn::Sub': '${!Literal}' }).value, '${Literal}');
  assert.deepEqual(value({ 'Fn::Sub': '${Zones}' }).errors, ['X.Fn::Sub: ${Zones} is a list, not a string']);
  assert.deepEqual(value({ 'Fn::Sub': 42 }).errors, ['X.Fn::Sub: takes "string" or ["string", {Name: value}], got 42']);
});

test('Fn::Join, Fn::Select, Fn::Split', () => {
  assert.equal(value({ 'Fn::Join': ['-', ['a', { Ref: 'Env' }, 3]] }).value, 'a-dev-3');
  assert.equal(value({ 'Fn::Join': [',', { Ref: 'Zones' }] }).value, 'a,b,c');
  assert.equal(value({ 'Fn::Select': [1, { Ref: 'Zones' }] }).value, 'b');
  assert.equal(value({ 'Fn::Select': ['0', ['x']] }).value, 'x');
  assert.deepEqual(value({ 'Fn::Split': ['/', 'a/b'] }).value, ['a', 'b']);
  assert.equal(value({ 'Fn::Select': [0, { 'Fn::Split': ['.', { 'Fn::GetAtt': ['Pool', 'ProviderName'] }] }] }).value, 'cognito-idp');
  assert.deepEqual(value({ 'Fn::Select': [5, ['x']] }).errors, ['X.Fn::Select[0]: index 5 is out of range (the list has 1 item)']);
  assert.deepEqual(value({ 'Fn::Join': ['-', 'notalist'] }).errors, ['X.Fn::Join[1]: must be a list, got "notalist"']);
  assert.deepEqual(value({ 'Fn::Split': ['', 'ab'] }).errors, ['X.Fn::Split[0]: must not be empty']);
});

test('Conditions: Fn::If, Fn::Equals, Fn::And, Fn::Or, Fn::Not, Condition; resources with a Condition', () => {
  assert.equal(value({ 'Fn::If': ['IsProd', 'live', 'test'] }).value, 'test');
  assert.equal(value({ 'Fn::If': ['IsProd', 'live', 'test'] }, { Env: 'prod' }).value, 'live');
  assert.equal(value({ 'Fn::If': ['Both', 'yes', 'no'] }).value, 'yes');
  assert.equal(value({ 'Fn::If': ['Either', 'yes', 'no'] }).value, 'yes');
  assert.deepEqual(value({ a: { 'Fn::If': ['IsProd', 1, { Ref: 'AWS::NoValue' }] } }).value, {});
  assert.equal(value({ 'Fn::Equals': [3, '3'] }).value, true);
  const { r } = resolver();
  assert.equal(r.isResourceIncluded('ProdOnly'), false);
  assert.equal(r.isResourceIncluded('Fn'), true);
  assert.deepEqual(value({ 'Fn::If': ['Loop', 1, 2] }).errors, ['Conditions.Loop.Fn::Not[0].Condition: condition Loop refers to itself']);
  assert.deepEqual(value({ 'Fn::If': ['Nope', 1, 2] }).errors, ['X.Fn::If[0]: unknown condition Nope (known: IsProd, IsDev, Both, Either, Loop)']);
});

test('Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::ToJsonString, Fn::Length; Fn::ImportValue and unknown functions are errors', () => {
  assert.equal(value({ 'Fn::FindInMap': ['Regions', { Ref: 'AWS::Region' }, 'Ami'] }).value, 'ami-1');
  assert.deepEqual(value({ 'Fn::FindInMap': ['Regions', 'eu-west-1', 'Ami'] }).errors, ['X.Fn::FindInMap[1]: mapping Regions has no key eu-west-1 (known: us-east-1)']);
  assert.equal(value({ 'Fn::Base64': 'hi' }).value, 'hi');
  assert.deepEqual(value({ 'Fn::GetAZs': '' }).value, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  assert.equal(value({ 'Fn::ToJsonString': { a: { Ref: 'Env' } } }).value, '{"a":"dev"}');
  assert.equal(value({ 'Fn::Length': { Ref: 'Zones' } }).value, 3);
  assert.deepEqual(value({ 'Fn::ImportValue': 'shared-vpc' }).errors, ['X.Fn::ImportValue: values exported by other stacks are not available locally: replace it with a parameter (and --parameter-overrides)']);
  assert.match(value({ 'Fn::Cidr': ['10.0.0.0/16', 1, 8] }).errors[0]!, /^X\.Fn::Cidr: Fn::Cidr is not supported \(supported: Ref, /);
});

test('YAML short tags become the long forms, in scalar, sequence and mapping shapes', () => {
  const doc = parseDocument('a: !Ref Env\nb: !GetAtt Fn.Arn\nc: !Sub [ "${X}-y", { X: !Ref Env } ]\nd: !If [IsProd, 1, 2]\ne: !Join [",", !Split ["/", "a/b"]]\nf: !Select [0, !GetAZs ""]\ng: !FindInMap [Regions, !Ref "AWS::Region", Ami]\nh: !Not [!Equals [a, b]]\n', { customTags: cloudFormationTags });
  assert.deepEqual(doc.errors, []);
  const { r, errors } = resolver();
  assert.deepEqual(r.resolve(doc.toJS(), 'X'), { a: 'dev', b: 'arn:aws:lambda:us-east-1:123456789012:function:dev-fn', c: 'dev-y', d: 2, e: 'a,b', f: 'us-east-1a', g: 'ami-1', h: true });
  assert.deepEqual(errors, []);
});

test('functionNameOfArn reads Lambda ARNs and API Gateway invocation URIs', () => {
  assert.equal(functionNameOfArn('arn:aws:lambda:us-east-1:123456789012:function:my-fn'), 'my-fn');
  assert.equal(functionNameOfArn('arn:aws:lambda:us-east-1:123456789012:function:my-fn:live'), 'my-fn');
  assert.equal(functionNameOfArn('arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Auth/invocations'), 'Auth');
  assert.equal(functionNameOfArn('https://example.com'), null);
});
