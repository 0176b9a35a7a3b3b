/**
 * nova's request validation: every expected text below is what nova 26's own
 * _SchemaValidator (python-jsonschema 4.10) answered for the same schema and input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenStackError } from '../../src/common/errors.js';
import { P, type JsonSchema, boolFromString, descriptionPattern, isUuidLike, pyRegex, pyRepr, validateBody, validateQuery, validateInteger } from '../../src/compute/api/validation.js';
import { novaJson, pyFloat } from '../../src/compute/api/wire.js';
import { validateExtraSpec } from '../../src/compute/api/flavors.js';

function message(schema: JsonSchema, body: unknown): string {
  try {
    validateBody(schema, body);
    return 'OK';
  } catch (e) {
    assert.equal((e as OpenStackError).status, 400);
    return (e as Error).message;
  }
}

const obj = (props: Record<string, unknown>, extra: Record<string, unknown> = {}): JsonSchema => ({ type: 'object', properties: props, ...extra });
const NAME = obj({ name: P.name }, { additionalProperties: false });

test('the name format: printable, no blank at either end, a final newline passes as in Python', () => {
  assert.equal(message(NAME, { name: 'abc\n' }), 'OK');
  assert.equal(message(NAME, { name: '日本語' }), 'OK');
  const invalid = "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.";
  assert.equal(message(NAME, { name: 'ab\ncd' }), invalid);
  assert.equal(message(NAME, { name: '\u00a0x' }), invalid);
  assert.equal(message(NAME, { name: '' }), "Invalid input for field/attribute name. Value: . '' is too short");
  assert.equal(message(NAME, { name: 5 }), "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'");
  const long = 'x'.repeat(256);
  assert.equal(message(NAME, { name: long }), `Invalid input for field/attribute name. Value: ${long}. '${long}' is too long`);
});

test('keywords and their messages', () => {
  const md = obj({ m: P.metadata() });
  assert.equal(message(md, { m: { k: 1 } }), "Invalid input for field/attribute k. Value: 1. 1 is not of type 'string'");
  assert.equal(message(obj({ x: { oneOf: [{ type: 'string' }, { type: 'null' }] } }), { x: 1 }), 'Invalid input for field/attribute x. Value: 1. 1 is not valid under any of the given schemas');
  assert.equal(message(obj({ x: { type: 'array', items: { type: 'string' }, minItems: 1, uniqueItems: true } }), { x: ['a', 'a'] }), "Invalid input for field/attribute x. Value: ['a', 'a']. ['a', 'a'] has non-unique elements");
  assert.equal(message(obj({ x: { type: 'array', minItems: 1 } }), { x: [] }), 'Invalid input for field/attribute x. Value: []. [] is too short');
  assert.equal(message(obj({ x: { type: 'string', format: 'uuid' } }), { x: 'nope' }), "Invalid input for field/attribute x. Value: nope. 'nope' is not a 'uuid'");
  assert.equal(message(obj({ x: P.positiveInteger }), { x: '0' }), 'Invalid input for field/attribute x. Value: 0. 0 is less than the minimum of 1');
  assert.equal(message(obj({ x: P.positiveInteger }), { x: true }), "Invalid input for field/attribute x. Value: True. True is not of type 'integer', 'string'");
  assert.equal(message(obj({ x: { type: 'object' } }), { x: { a: [1, null, true, 1.5, "it's", 'q"x', 'é'] } }), 'OK');
  assert.equal(message({ type: 'object', required: ['a', 'b'] }, {}), "'a' is a required property");
  assert.equal(message({ type: 'object', additionalProperties: false }, { b: 1, a: 2 }), "Additional properties are not allowed ('a', 'b' were unexpected)");
  assert.equal(message(obj({ x: { not: { type: 'string' } } }), { x: 's' }), "Invalid input for field/attribute x. Value: s. 's' should not be valid under {'type': 'string'}");
});

test('minimum/maximum compare int(x) as nova does: floats truncate, the message shows the int', () => {
  assert.equal(message(obj({ x: { type: 'number', maximum: 3.40282e38 } }), { x: 1e39 }), 'Invalid input for field/attribute x. Value: 1e+39. 999999999999999939709166371603178586112 is greater than the maximum of 3.40282e+38');
  assert.equal(message(obj({ x: { type: 'number', minimum: 0.0001 } }), { x: 0.00001 }), 'Invalid input for field/attribute x. Value: 1e-05. 0 is less than the minimum of 0.0001');
  // Hence nova refuses rxtx_factor 0.5 sent as a number, and takes "0.5".
  const rxtx = obj({ r: { type: ['number', 'string'], pattern: '^[0-9]+(\\.[0-9]+)?$', minimum: 0, exclusiveMinimum: true } });
  assert.equal(message(rxtx, { r: 0.5 }), 'Invalid input for field/attribute r. Value: 0.5. 0 is less than or equal to the minimum of 0');
  assert.equal(message(rxtx, { r: '0.5' }), 'OK');
});

test('query parameters: the parameter name, and only known parameters are kept', () => {
  const schema: JsonSchema = { type: 'object', properties: { limit: P.singleParam(P.nonNegativeInteger) }, additionalProperties: true };
  assert.throws(() => validateQuery(schema, { limit: ['1', '2'] }), { message: "Invalid input for query parameters limit. Value: ['1', '2']. ['1', '2'] is too long" });
  assert.deepEqual(validateQuery(schema, { limit: ['3'], other: ['x'] }), { limit: ['3'] });
});

test('Python repr and regex semantics', () => {
  assert.equal(pyRepr({ a: [1, null, true, 1.5, "it's", 'q"x', 'é', '\x01'] }), `{'a': [1, None, True, 1.5, "it's", 'q"x', 'é', '\\x01']}`);
  assert.equal(pyRepr('a\'b"c'), `'a\\'b"c'`);
  assert.equal(pyRepr(1e-5), '1e-05');
  assert.equal(pyRepr(1e20), '1e+20');
  assert.ok(pyRegex('^[0-9]+$').test('12\n'));
  assert.ok(!pyRegex('^[0-9]+$').test('12\n\n'));
  assert.ok(descriptionPattern().startsWith('^[\\ -\\~\u00a0-¬®-ͷ'));
});

test('oslo helpers', () => {
  assert.equal(boolFromString('Yes'), true);
  assert.equal(boolFromString('nah'), false);
  assert.throws(() => boolFromString('nah', true), { message: "Unrecognized value 'nah', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'" });
  assert.equal(validateInteger(' 42 ', 'id'), 42);
  assert.throws(() => validateInteger('4.2', 'id'), { message: 'id must be an integer' });
  assert.throws(() => validateInteger('-1', 'limit', 0), { message: 'limit must be >= 0' });
  assert.ok(isUuidLike('{123E4567-E89B-12D3-A456-426614174000}'));
  assert.ok(isUuidLike('123e4567e89b12d3a456426614174000'));
  assert.ok(!isUuidLike('123e4567-e89b-12d3-a456'));
});

test('wire: Python json.dumps with floats kept and non-ASCII escaped', () => {
  assert.equal(novaJson({ a: pyFloat(1), b: pyFloat(0.5), c: 'é', d: [true, null] }), '{"a": 1.0, "b": 0.5, "c": "\\u00e9", "d": [true, null]}');
});

test('extra spec validation (2.86) as nova\'s registry answers', () => {
  const msg = (n: string, v: string) => {
    try {
      validateExtraSpec(n, v);
      return 'OK';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(msg('hw:mem_page_size', 'huge'), "Validation failed; 'huge' is not of the format '(large|small|any|\\d+([kKMGT]i?)?(b|bit|B)?)'.");
  assert.equal(msg('hw:mem_page_size', '2MiB'), 'OK');
  assert.equal(msg('os:monitors', '9'), "Validation failed; '9' is greater than the max value of '8'.");
  assert.equal(msg('hw:numa_cpus.0', '0-3,^2'), 'OK');
  assert.equal(msg('trait:CUSTOM_FOO', 'required'), 'OK');
  assert.equal(msg('trait:CUSTOM_FOO', 'maybe'), "Validation failed; 'maybe' is not one of: required, forbidden.");
  assert.equal(msg('resources_GPU:VGPU', '1'), 'OK');
  assert.equal(msg('aggregate_instance_extra_specs:anything', 'x'), 'OK');
  assert.equal(msg('nonamespace', 'x'), 'OK');
});

test('isPyBase64: what Python\'s b64decode accepts', async () => {
  const { isPyBase64 } = await import('../../src/compute/api/validation.js');
  assert.equal(isPyBase64('aGk='), true);
  assert.equal(isPyBase64('aGk'), false);
  assert.equal(isPyBase64('a'), false);
  assert.equal(isPyBase64(''), true);
  assert.equal(isPyBase64('aG\nk='), true);
  assert.equal(isPyBase64('aGk==='), true);
});
