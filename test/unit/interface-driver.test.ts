/**
 * OvsInterfaceDriver (neutron's OVSInterfaceDriver.plug_new / unplug, ovs_use_veth off)
 * against a host that records argv: the commands of each way of meeting an existing port
 * (`replace` as the L3 agent plugs qr-/qg-, `keep` as the DHCP agent plugs its tap, with
 * the device still in the root namespace or already moved by an earlier run), and unplug.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandFailed, type HostNetwork } from '../../src/hostnet/host-network.js';
import { type ExistingPort, OvsInterfaceDriver } from '../../src/network/agents/interface-driver.js';

const DEV = 'qr-cccccccccccc';
const NS = 'qrouter-r1';
const MAC = 'fa:16:3e:00:00:01';
const PORT = { portId: 'p1', macAddress: MAC, device: DEV, namespace: NS };

/** A host that records argv; `ip link show` finds the device in the root namespace only while `inRoot`. */
function recordingHost(inRoot: boolean): HostNetwork & { argv: string[][] } {
  const argv: string[][] = [];
  return {
    host: 'h1',
    argv,
    async execute(a: string[]) {
      argv.push(a);
      if (a.join(' ') === `ip link show ${DEV}`) {
        if (!inRoot) throw new CommandFailed(a, 1, `Device "${DEV}" does not exist.`);
        return `7: ${DEV}: <BROADCAST,MULTICAST> mtu 1500`;
      }
      return '';
    },
    onInterfaceChange: () => () => {},
    snapshot: () => ({ host: 'h1', links: [], linuxBridges: [], ovsBridges: [] }),
  };
}

const driver = (net: HostNetwork, existingPort: ExistingPort) => new OvsInterfaceDriver({ net, bridge: 'br-int', existingPort });
const setInterface = ['--', 'set', 'Interface', DEV, 'type=internal', 'external_ids:iface-id=p1', 'external_ids:iface-status=active', `external_ids:attached-mac=${MAC}`];

describe('OvsInterfaceDriver', () => {
  it('replace: replace_port in one ovs-vsctl call, MAC and MTU in the root namespace, then moved and up', async () => {
    const h = recordingHost(true);
    await driver(h, 'replace').plugNew({ ...PORT, mtu: 1450 });
    assert.deepEqual(h.argv, [
      ['ovs-vsctl', '--', '--if-exists', 'del-port', DEV, '--', 'add-port', 'br-int', DEV, ...setInterface],
      ['ip', 'link', 'set', DEV, 'address', MAC],
      ['ip', 'link', 'set', DEV, 'mtu', '1450'],
      ['ip', 'link', 'set', DEV, 'netns', NS],
      ['ip', '-n', NS, 'link', 'set', DEV, 'up'],
    ]);
  });

  it('keep: --may-exist; a device in the root namespace gets its MAC and moves, the MTU is set inside', async () => {
    const h = recordingHost(true);
    await driver(h, 'keep').plugNew({ ...PORT, mtu: 1450 });
    assert.deepEqual(h.argv, [
      ['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', DEV, ...setInterface],
      ['ip', 'link', 'show', DEV],
      ['ip', 'link', 'set', DEV, 'address', MAC],
      ['ip', 'link', 'set', DEV, 'netns', NS],
      ['ip', '-n', NS, 'link', 'set', DEV, 'mtu', '1450'],
      ['ip', '-n', NS, 'link', 'set', DEV, 'up'],
    ]);
  });

  it('keep: a device an earlier run moved into the namespace stays there; no MTU (0) sets none', async () => {
    const h = recordingHost(false);
    await driver(h, 'keep').plugNew({ ...PORT, mtu: 0 });
    assert.deepEqual(h.argv, [
      ['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', DEV, ...setInterface],
      ['ip', 'link', 'show', DEV],
      ['ip', '-n', NS, 'link', 'set', DEV, 'up'],
    ]);
  });

  it('keep: a failure other than a failed command while looking for the device is thrown', async () => {
    const h = recordingHost(true);
    h.execute = async (a) => {
      if (a[1] === 'link' && a[2] === 'show') throw new Error('host gone');
      return '';
    };
    await assert.rejects(driver(h, 'keep').plugNew({ ...PORT, mtu: 1450 }), /host gone/);
  });

  it('unplug: the port off the bridge, --if-exists', async () => {
    const h = recordingHost(true);
    await driver(h, 'replace').unplug(DEV);
    assert.deepEqual(h.argv, [['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', DEV]]);
  });
});
