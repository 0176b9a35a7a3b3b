/** The server actions' state table (nova's @check_instance_state/@check_instance_lock/@check_instance_host) as a pure function. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceInvalidState, InstanceIsLocked, InstanceNotReady } from '../../src/compute/errors.js';
import type { Instance } from '../../src/compute/objects/instance.js';
import { ACTION_RULES, type RuledAction, checkAction } from '../../src/compute/server-actions.js';

const inst = (vmState: string, taskState: string | null = null, extra: Partial<Instance> = {}): Instance =>
  ({ uuid: 'u1', vmState, taskState, host: 'compute1', locked: false, launchedAt: '2026-01-01T00:00:00.000000', ...extra }) as Instance;

const allowed = (a: RuledAction, i: Instance, admin = false) => {
  try {
    checkAction(i, ACTION_RULES[a], admin);
    return 'ok';
  } catch (e) {
    return (e as Error).constructor.name;
  }
};

describe('server action rules', () => {
  it('matches nova vm_state lists', () => {
    const table: [RuledAction, string[]][] = [
      ['stop', ['active', 'error']],
      ['start', ['stopped']],
      ['reboot_soft', ['active']],
      ['reboot_hard', ['active', 'stopped', 'paused', 'suspended', 'error']],
      ['pause', ['active']],
      ['unpause', ['paused']],
      ['suspend', ['active']],
      ['resume', ['suspended']],
      ['trigger_crash_dump', ['active', 'paused', 'error']],
      ['rebuild', ['active', 'stopped', 'error']],
      ['snapshot', ['active', 'stopped', 'paused', 'suspended']],
      ['restore', ['soft_deleted']],
    ];
    for (const [a, ok] of table) {
      for (const vm of ['active', 'stopped', 'paused', 'suspended', 'error', 'building', 'soft_deleted']) {
        assert.equal(allowed(a, inst(vm)), ok.includes(vm) ? 'ok' : 'InstanceInvalidState', `${a} in ${vm}`);
      }
    }
  });

  it('hard reboot may interrupt ALLOW_REBOOT task states; soft reboot none', () => {
    for (const ts of ['rebooting', 'reboot_pending', 'reboot_started', 'resuming', 'rebooting_hard', 'unpausing', 'pausing', 'suspending']) {
      assert.equal(allowed('reboot_hard', inst('active', ts)), 'ok', ts);
      assert.equal(allowed('reboot_soft', inst('active', ts)), 'InstanceInvalidState', ts);
    }
    assert.equal(allowed('reboot_hard', inst('active', 'powering-off')), 'InstanceInvalidState');
  });

  it('checks the lock first (admins pass), then the host, then the state, then launched_at', () => {
    assert.equal(allowed('stop', inst('building', 'scheduling', { locked: true })), 'InstanceIsLocked');
    assert.equal(allowed('stop', inst('active', null, { locked: true }), true), 'ok');
    // createImage ignores the lock.
    assert.equal(allowed('snapshot', inst('active', null, { locked: true })), 'ok');
    assert.equal(allowed('stop', inst('building', 'scheduling', { host: null })), 'InstanceNotReady');
    assert.equal(allowed('pause', inst('active', null, { host: null })), 'ok');
    assert.throws(() => checkAction(inst('active', null, { launchedAt: null }), ACTION_RULES.pause, false), (e: Error) => e instanceof InstanceInvalidState && /launched_at None/.test(e.message));
    assert.throws(() => checkAction(inst('stopped'), ACTION_RULES.pause, false), (e: Error) => e.message === 'Instance u1 in vm_state stopped. Cannot pause while the instance is in this state.');
    assert.ok(InstanceIsLocked && InstanceNotReady);
  });
});
