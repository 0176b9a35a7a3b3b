/**
 * A simulated host's uptime over HTTP, through nova-api, the compute RPC and the fake
 * libvirt driver: GET /os-hypervisors/{id}/uptime (2.1–2.87) and the 2.88 detail view's
 * `uptime`, each the line `env LANG=C uptime` prints, counted from when the host booted
 * on the injected clock. Regression for Tempest's
 * HypervisorAdminTestJSON.test_get_hypervisor_uptime (Nimbus answered 501).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../src/common/clock.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';

// The uptime counts on the injected clock, which only the in-process cloud takes.
const SKIP = inProcessOnly('uptime is counted on an injected clock');

let cloud: TestCloud;
const clock = new FakeClock();
before(async () => {
  if (!SKIP) cloud = await startTestCloud({}, clock);
});
after(() => cloud?.stop());

const nova = (path: string, mv: string) => cloud.api('admin', 'GET', `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': `compute ${mv}` });

/** The wall-clock part of the line: local time, as the command prints it. */
const hhmmss = (ms: number) => {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
};

describe('hypervisor uptime', { skip: SKIP }, () => {
  test('the uptime route before 2.88: the libvirt-style line, counting from the host boot', async () => {
    const hyps = (await nova('/os-hypervisors', '2.1')).body.hypervisors;
    assert.ok(hyps.length > 0);
    const first = await nova(`/os-hypervisors/${hyps[0].id}/uptime`, '2.1');
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.body.hypervisor), ['id', 'hypervisor_hostname', 'state', 'status', 'uptime']);
    assert.equal(first.body.hypervisor.uptime, ` ${hhmmss(clock.now())} up 0 min,  0 user,  load average: 0.00, 0.00, 0.00\n`);

    await clock.advance(25 * 60_000 + 30_000);
    const later = await nova(`/os-hypervisors/${hyps[0].id}/uptime`, '2.1');
    assert.equal(later.body.hypervisor.uptime, ` ${hhmmss(clock.now())} up 25 min,  0 user,  load average: 0.00, 0.00, 0.00\n`);
  });

  test('2.88: no uptime route (404), the detail view carries the same line', async () => {
    const hyps = (await nova('/os-hypervisors/detail', '2.88')).body.hypervisors;
    assert.equal(hyps[0].state, 'up');
    assert.match(hyps[0].uptime, /^ \d\d:\d\d:\d\d up \d+ min, {2}0 user, {2}load average: 0\.00, 0\.00, 0\.00\n$/);
    const shown = (await nova(`/os-hypervisors/${hyps[0].id}`, '2.88')).body.hypervisor;
    assert.equal(shown.uptime, hyps[0].uptime);
    const gone = await nova(`/os-hypervisors/${hyps[0].id}/uptime`, '2.88');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
  });
});
