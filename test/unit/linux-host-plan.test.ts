/**
 * The linux host driver's plan for a command sequence (src/hostnet/linux/plan.ts): which
 * brctl, tee and ovs-vsctl commands run as `ip -batch` lines, file writes or one OVSDB
 * transaction, and which stay real commands because the netlink form could succeed where
 * the tool fails. Device names that exist on no machine, so sysfs knows none of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SequencedCommand } from '../../src/hostnet/host-network.js';
import { planSequence } from '../../src/hostnet/linux/plan.js';

const c = (...argv: string[]): SequencedCommand => ({ argv });
const [BR, V, O] = ['qbrzzplan-01', 'qvbzzplan-01', 'qvozzplan-01'];

describe('linux host plan', () => {
  it("nova's bridge: addbr + setfd 0 + stp off as one `ip link add ... type bridge`, the tee as a write", () => {
    const tee = { argv: ['tee', `/sys/class/net/${BR}/bridge/multicast_snooping`], input: '0', okExitCodes: [1] };
    assert.deepEqual(planSequence([c('brctl', 'addbr', BR), c('brctl', 'setfd', BR, '0'), c('brctl', 'stp', BR, 'off'), tee]), [
      { kind: 'ip', line: `link add ${BR} type bridge forward_delay 0 stp_state 0`, from: 0, to: 3 },
      { kind: 'write', file: `/sys/class/net/${BR}/bridge/multicast_snooping`, data: '0', from: 3, to: 4 },
    ]);
  });

  it('stp on, or a fractional forward delay, stays brctl', () => {
    const steps = planSequence([c('brctl', 'addbr', BR), c('brctl', 'stp', BR, 'on'), c('brctl', 'setfd', BR, '0.5')]);
    assert.deepEqual(steps.map((s) => s.kind), ['ip', 'plain', 'plain']);
  });

  it('addif of a veth end made in the sequence to a bridge made in it: `link set dev IF master BR`; of an unknown device: brctl', () => {
    const steps = planSequence([c('brctl', 'addbr', BR), c('ip', 'link', 'add', V, 'type', 'veth', 'peer', 'name', O), c('ip', 'link', 'set', BR, 'up'), c('brctl', 'addif', BR, V), c('brctl', 'addif', BR, 'zzplan-none')]);
    assert.deepEqual(steps[3], { kind: 'ip', line: `link set dev ${V} master ${BR}`, from: 3, to: 4 });
    assert.equal(steps[4]!.kind, 'plain');
  });

  it('addif of a device enslaved earlier in the sequence stays brctl (netlink would move it)', () => {
    const steps = planSequence([c('brctl', 'addbr', BR), c('ip', 'link', 'add', V, 'type', 'veth', 'peer', 'name', O), c('ovs-vsctl', 'add-port', 'br-int', V), c('brctl', 'addif', BR, V)]);
    assert.equal(steps.at(-1)!.kind, 'plain');
  });

  it('delbr becomes `link delete` only after the bridge was set down in the sequence (brctl refuses a bridge that is up)', () => {
    const down = planSequence([c('brctl', 'addbr', BR), c('ip', 'link', 'set', BR, 'up'), c('ip', 'link', 'set', BR, 'down'), c('brctl', 'delbr', BR)]);
    assert.deepEqual(down.at(-1), { kind: 'ip', line: `link delete dev ${BR}`, from: 3, to: 4 });
    const up = planSequence([c('brctl', 'addbr', BR), c('ip', 'link', 'set', BR, 'up'), c('brctl', 'delbr', BR)]);
    assert.equal(up.at(-1)!.kind, 'plain');
    // delif of a device whose master sysfs does not show as that bridge: brctl (its own error).
    assert.equal(planSequence([c('brctl', 'delif', BR, V)])[0]!.kind, 'plain');
  });

  it('consecutive ovs-vsctl commands: one transaction; one with a global option stays alone', () => {
    const steps = planSequence([c('ovs-vsctl', '--if-exists', 'del-port', 'br-int', O), c('ovs-vsctl', '--', '--if-exists', 'del-port', V, '--', 'add-port', 'br-int', V)]);
    assert.deepEqual(steps, [{ kind: 'ovs', argv: ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', O, '--', '--if-exists', 'del-port', V, '--', 'add-port', 'br-int', V], from: 0, to: 2 }]);
    assert.deepEqual(planSequence([c('ovs-vsctl', '--no-wait', 'add-br', 'x'), c('ovs-vsctl', 'del-br', 'x')]).map((s) => s.kind), ['plain', 'plain']);
  });

  it('a lone `ip link set DEV mtu N` writes sysfs mtu; beside other ip commands it stays in the batch', () => {
    assert.deepEqual(planSequence([c('ovs-vsctl', 'add-port', 'br-int', O), c('ip', 'link', 'set', O, 'mtu', '1450')])[1], { kind: 'write', file: `/sys/class/net/${O}/mtu`, data: '1450', from: 1, to: 2 });
    assert.deepEqual(planSequence([c('ip', 'link', 'set', O, 'up'), c('ip', 'link', 'set', O, 'mtu', '1450')]).map((s) => s.kind), ['ip', 'ip']);
  });
});
