/** os-simple-tenant-usage's arithmetic and time parsing, as nova's controller does them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hoursFor, parseUsageTime, usageTime } from '../../src/compute/api/simple-tenant-usage.js';

const H = 3600e6;

test('parseUsageTime: nova\'s three strptime forms, nothing else', () => {
  assert.equal(parseUsageTime('2020-01-01T00:00:00'), Date.UTC(2020, 0, 1) * 1000);
  assert.equal(parseUsageTime('2020-01-01T00:00:00.5'), Date.UTC(2020, 0, 1) * 1000 + 500_000);
  assert.equal(parseUsageTime('2020-01-01 00:00:00.000001'), Date.UTC(2020, 0, 1) * 1000 + 1);
  assert.equal(parseUsageTime('2020-01-01 00:00:00'), null);
  assert.equal(parseUsageTime('2020-01-01'), null);
  assert.equal(parseUsageTime('2020-02-30T00:00:00'), null);
  assert.equal(parseUsageTime('2020-01-01T00:00:00Z'), null);
});

test('usageTime: %Y-%m-%dT%H:%M:%S.%f', () => {
  assert.equal(usageTime(Date.UTC(2012, 9, 8, 21, 10, 44) * 1000 + 587336), '2012-10-08T21:10:44.587336');
});

test('hoursFor: the overlap of the instance\'s life with the window', () => {
  assert.equal(hoursFor(0, null, 0, 2 * H), 2);
  assert.equal(hoursFor(H, null, 0, 2 * H), 1);
  assert.equal(hoursFor(0, H / 2, 0, 2 * H), 0.5);
  assert.equal(hoursFor(3 * H, null, 0, 2 * H), 0);
  assert.equal(hoursFor(0, H, 2 * H, 3 * H), 0);
});
