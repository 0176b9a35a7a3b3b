/**
 * A whole cloud on this machine's real devices ([DEFAULT] host_driver = linux, one host,
 * a private Open vSwitch): a server boots to ACTIVE as a network namespace holding eth0
 * with its port's MAC, its tap in qbrX with qvbX, qvoX on br-int with the port's
 * iface-id and the local VLAN tag the OVS agent gives it; deleting it leaves no device and no namespace. Skipped with its reason
 * where root or OVS is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { guestNamespace } from '../../src/compute/virt/vif.js';
import { type LinuxCloud, startLinuxCloud } from '../helpers/linux-cloud.js';
import { hostLinkNames, linuxHostSkipReason } from '../helpers/ovs.js';

const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host boot test skipped: ${skip}`);

describe('a server on a linux host', { skip: skip ?? false }, () => {
  let lc: LinuxCloud;
  let netId: string;

  before(async () => {
    lc = await startLinuxCloud();
    netId = await lc.network('net1', '10.9.0.0/24');
  });
  after(async () => {
    await lc?.stop();
  });

  it('is a namespace with eth0 (the port\'s MAC) behind the hybrid plug, and leaves nothing when deleted', async () => {
    const { ovs } = lc;
    const { id, port } = await lc.boot('vm1', { netId });
    const short = port.id.slice(0, 11);
    const ns = JSON.parse(execFileSync('ip', ['-n', guestNamespace(id), '-json', 'link', 'show', 'eth0'], { encoding: 'utf8' }))[0];
    assert.equal(ns.address, port.mac_address);
    assert.ok(ns.flags.includes('UP'));
    const brif = execFileSync('ls', [`/sys/class/net/qbr${short}/brif`], { encoding: 'utf8' }).trim().split('\n').sort();
    assert.deepEqual(brif, [`qvb${short}`, `tap${short}`]);
    const ids = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Interface', `qvo${short}`, 'external_ids:iface-id'], { encoding: 'utf8' }).trim();
    assert.equal(ids, `"${port.id}"`);
    // The OVS agent saw the port through the OVSDB monitor and tagged it with the network's local VLAN.
    const tag = execFileSync('ovs-vsctl', [`--db=${ovs.db}`, 'get', 'Port', `qvo${short}`, 'tag'], { encoding: 'utf8' }).trim();
    assert.match(tag, /^[1-9]\d*$/);
    assert.notEqual(tag, '4095');

    await lc.deleteServers([id]);
    const left = await hostLinkNames();
    assert.deepEqual(left.links.filter((l) => l.endsWith(short)), []);
    assert.ok(!left.namespaces.includes(guestNamespace(id)));
  });
});
