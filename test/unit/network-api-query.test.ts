import assert from 'node:assert/strict';
import { test } from 'node:test';
import { portDef } from '../../src/network/api/definitions/core.js';
import { applyListQuery, likeContains, matchesFilter, parseFixedIpsFilter, parseListQuery, selectFields } from '../../src/network/api/query.js';
import type { OpenStackError } from '../../src/common/errors.js';

const ports = Array.from({ length: 7 }, (_, i) => ({
  id: `0000000${i}-0000-4000-8000-000000000000`,
  name: `p${i % 3}`,
  admin_state_up: i % 2 === 0,
  device_owner: i === 3 ? 'network:dhcp' : 'compute:nova',
  fixed_ips: [{ subnet_id: 's1', ip_address: `1.2.3.${10 + i}` }],
}));
const rejects = (fn: () => unknown, status: number, type: string, message: string) => {
  assert.throws(fn, (e: OpenStackError) => (assert.equal(e.status, status), assert.equal(e.type, type), assert.equal(e.message, message), true));
};

test('repeated filter keys OR together, different keys AND, booleans convert', () => {
  const q = parseListQuery({ name: ['p0', 'p1'], admin_state_up: 'True' }, portDef, -1);
  const page = applyListQuery(ports, q, 'http://x/v2.0/ports', {});
  assert.deepEqual(page.items.map((p) => String(p.id).slice(7, 8)), ['0', '4', '6']);
});

test('device_owner=network:dhcp as the seed writes it', () => {
  const q = parseListQuery({ device_owner: 'network:dhcp' }, portDef, -1);
  assert.deepEqual(applyListQuery(ports, q, 'u', {}).items.map((p) => p.name), ['p0']);
});

test('fixed_ips=ip_address=... matches a port holding that address', () => {
  assert.ok(matchesFilter(ports[2]!, 'fixed_ips', ['ip_address=1.2.3.12']));
  assert.ok(!matchesFilter(ports[2]!, 'fixed_ips', ['ip_address=1.2.3.13']));
  assert.ok(matchesFilter(ports[2]!, 'fixed_ips', ['subnet_id=s1']));
});

test("fixed_ips pairs parse like convert_kvp_list_to_dict (stripped, deduplicated); ip_address_substr is LIKE '%s%'", () => {
  assert.deepEqual(parseFixedIpsFilter([' ip_address = 1.2.3.4 ', 'ip_address=1.2.3.4', 'subnet_id=']), { ip_address: ['1.2.3.4'], subnet_id: [''] });
  assert.deepEqual(parseFixedIpsFilter(['True']), {});
  rejects(() => parseFixedIpsFilter(['ip_address']), 400, 'InvalidInput', "Invalid input for operation: 'ip_address' is not of the form <key>=[value].");
  assert.ok(likeContains('3.1%1').test('1.2.3.12.11'));
  assert.ok(likeContains('a_c').test('xxabcxx'));
  assert.ok(!likeContains('a\\_c').test('abc'));
  assert.ok(likeContains('a\\_c').test('a_c'));
  assert.ok(likeContains('').test('anything'));
  assert.ok(matchesFilter(ports[2]!, 'fixed_ips', ['ip_address_substr=3.12']));
  assert.ok(!matchesFilter(ports[2]!, 'fixed_ips', ['ip_address_substr=3.13']));
});

test('an attribute that is not a filter is refused like neutron\'s filter validation', () => {
  rejects(() => parseListQuery({ foo: 'x' }, portDef, -1), 400, 'HTTPBadRequest', "['foo'] is invalid attribute for filtering");
});

test('sorting by several keys, and bad sort keys and directions', () => {
  const q = parseListQuery({ sort_key: ['name', 'id'], sort_dir: ['desc', 'asc'] }, portDef, -1);
  assert.deepEqual(applyListQuery(ports, q, 'u', {}).items.map((p) => p.name), ['p2', 'p2', 'p1', 'p1', 'p0', 'p0', 'p0']);
  rejects(() => parseListQuery({ sort_key: 'nope', sort_dir: 'asc' }, portDef, -1), 400, 'HTTPBadRequest', "['nope'] is invalid attribute for sort_keys");
  rejects(() => parseListQuery({ sort_key: 'name', sort_dir: 'up' }, portDef, -1), 400, 'HTTPBadRequest', "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'");
});

test('limit and marker page through every item once, with next links', () => {
  const seen: string[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const qs = marker ? { limit: '3', marker } : { limit: '3' };
    const page = applyListQuery(ports, parseListQuery(qs, portDef, -1), 'http://h/v2.0/ports', qs);
    seen.push(...page.items.map((p) => p.id as string));
    const next = page.links.find((l) => l.rel === 'next');
    if (!next) break;
    marker = new URL(next.href).searchParams.get('marker')!;
  }
  assert.deepEqual(seen, ports.map((p) => p.id));
});

test('a bad limit is refused with neutron\'s words', () => {
  rejects(() => parseListQuery({ limit: '-1' }, portDef, -1), 400, 'BadRequest', "Bad limit request: Limit must be an integer 0 or greater and not '-1'.");
});

test('fields= keeps only the asked fields', () => {
  assert.deepEqual(selectFields(ports[0]!, ['id', 'name', 'nope']), { id: ports[0]!.id, name: 'p0' });
  assert.equal(selectFields(ports[0]!, []), ports[0]);
});
