/**
 * The fake libvirt driver's uptime line: procps-ng 4's `uptime` format (what libvirt's
 * get_host_uptime returns from `env LANG=C uptime`), each branch of it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uptimeLine } from '../../src/compute/virt/fake.js';

// Local-time constructor: the line prints local time, so the expectation holds in any zone.
const at = new Date(2026, 10, 30, 7, 5, 9);

describe('uptimeLine (procps_uptime_sprint)', () => {
  it('minutes only under an hour', () => {
    assert.equal(uptimeLine(at, 0, 0, [0, 0, 0]), ' 07:05:09 up 0 min,  0 user,  load average: 0.00, 0.00, 0.00\n');
    assert.equal(uptimeLine(at, 59 * 60 + 59, 1, [0.5, 0.25, 0.126]), ' 07:05:09 up 59 min,  1 user,  load average: 0.50, 0.25, 0.13\n');
  });

  it('hours as %2d:%02d, days before them, "users" from two', () => {
    assert.equal(uptimeLine(at, 3 * 3600 + 4 * 60, 2, [0, 0, 0]), ' 07:05:09 up  3:04,  2 users,  load average: 0.00, 0.00, 0.00\n');
    assert.equal(uptimeLine(at, 86400 + 5 * 60, 0, [0, 0, 0]), ' 07:05:09 up 1 day, 5 min,  0 user,  load average: 0.00, 0.00, 0.00\n');
    assert.equal(uptimeLine(at, 2 * 86400 + 13 * 3600 + 7 * 60, 12, [1.5, 1, 0.96]), ' 07:05:09 up 2 days, 13:07, 12 users,  load average: 1.50, 1.00, 0.96\n');
  });
});
