/** The shared JSON body reader: what it refuses (each API words the refusal) and what it accepts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_JSON_DEPTH, MalformedJson, parseJson } from '../../src/common/json-body.js';

const nested = (depth: number) => Buffer.from('['.repeat(depth) + ']'.repeat(depth));

test('valid UTF-8 JSON parses, lone-surrogate escapes included (json.loads takes them too)', () => {
  assert.deepEqual(parseJson(Buffer.from('{"a": ["é", 1, null]}')), { a: ['é', 1, null] });
  assert.equal(parseJson(Buffer.from('"\\ud800"')), '\ud800');
});

test('a __proto__ key stays an own property', () => {
  const v = parseJson(Buffer.from('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
  assert.ok(Object.hasOwn(v, '__proto__'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('invalid UTF-8, a BOM, and text that is not JSON are MalformedJson', () => {
  for (const raw of [Buffer.from([0x7b, 0xff, 0x7d]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\ufeff{}'), Buffer.from('{"a":'), Buffer.from('NaN')]) {
    assert.throws(() => parseJson(raw), MalformedJson, raw.toString('hex'));
  }
});

test(`nesting: ${MAX_JSON_DEPTH} levels parse, one more is MalformedJson, far more does not overflow the stack`, () => {
  assert.ok(Array.isArray(parseJson(nested(MAX_JSON_DEPTH))));
  assert.throws(() => parseJson(nested(MAX_JSON_DEPTH + 1)), MalformedJson);
  assert.throws(() => parseJson(nested(200_000)), MalformedJson);
});
