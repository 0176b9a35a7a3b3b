/**
 * The linux host's interface events from a real ovsdb-server (a private Open vSwitch):
 * the OVSDB monitor of Interface, Port and Bridge (RFC 7047 over the sandbox's socket)
 * reports the initial rows, then a port's insert, its modifications and its delete, each
 * with the bridge its port is on, in order; a dropped connection reaches the subscriber.
 * The ports are plain add-port of devices that do not exist (ovs-vswitchd gives them
 * ofport -1), so nothing is made outside the sandbox. Skipped with its reason where root
 * or OVS is missing (never under CI=true as root).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { InterfaceEvent } from '../../src/hostnet/host-network.js';
import { LinuxHostNetwork } from '../../src/hostnet/linux/linux-host.js';
import { type OvsSandbox, linuxHostSkipReason, startOvsSandbox } from '../helpers/ovs.js';
import { waitFor } from '../helpers/wait.js';

const exec = promisify(execFile);
const skip = linuxHostSkipReason();
if (skip) console.log(`# linux host OVSDB monitor test skipped: ${skip}`);

describe('the linux host watches br-int through the OVSDB protocol', { skip: skip ?? false }, () => {
  let ovs: OvsSandbox;
  let linux: LinuxHostNetwork | undefined;
  const vsctl = (...args: string[]) => exec('ovs-vsctl', [`--db=${ovs.db}`, '--timeout=10', ...args]);

  before(async () => {
    ovs = await startOvsSandbox();
    linux = await LinuxHostNetwork.open('ovsdb1', { db: ovs.db });
    await vsctl('--', '--may-exist', 'add-br', 'br-rovsdb', '--', 'set', 'Bridge', 'br-rovsdb', 'datapath_type=netdev');
  });
  after(async () => {
    linux?.close();
    await ovs?.stop();
  });

  it('initial rows, then insert, update and delete of a port, each naming its bridge, in order', async () => {
    const events: InterfaceEvent[] = [];
    const stop = linux!.onInterfaceChange((ev) => events.push(ev));
    try {
      await waitFor('the initial rows of both bridges', async () => (events.filter((e) => e.action === 'initial').length >= 2 ? true : undefined), 10_000);
      assert.deepEqual(
        events.map((e) => [e.action, e.name, e.bridge]).sort(),
        [
          ['initial', 'br-int', 'br-int'],
          ['initial', 'br-rovsdb', 'br-rovsdb'],
        ],
      );
      const t0 = performance.now();
      await vsctl('--', 'add-port', 'br-int', 'qvo-rovsdb1', '--', 'set', 'Interface', 'qvo-rovsdb1', 'external_ids:iface-id=p1', '--', 'add-port', 'br-rovsdb', 'tap-rovsdb2');
      await waitFor('both inserts', async () => (events.filter((e) => e.action === 'insert').length >= 2 ? true : undefined), 10_000);
      console.log(`# insert seen ${(performance.now() - t0).toFixed(1)} ms after ovs-vsctl started`);
      await vsctl('set', 'Interface', 'qvo-rovsdb1', 'external_ids:attached-mac=fa:16:3e:00:00:01');
      await waitFor('the update', async () => events.find((e) => e.name === 'qvo-rovsdb1' && e.action === 'update' && e.externalIds['attached-mac']), 10_000);
      await vsctl('del-port', 'br-int', 'qvo-rovsdb1');
      await waitFor('the delete', async () => events.find((e) => e.action === 'delete'), 10_000);
      const mine = events.filter((e) => e.action !== 'initial' && e.name === 'qvo-rovsdb1');
      // ovs-vswitchd may write the interface's ofport (-1: no such device) between these: the order holds either way.
      const actions = mine.map((e) => e.action).filter((a, i, all) => a !== 'update' || all[i - 1] !== 'update');
      assert.deepEqual(actions, ['insert', 'update', 'delete']);
      for (const e of mine) assert.equal(e.bridge, 'br-int', `${e.action} names br-int`);
      assert.deepEqual(mine.at(-1)!.externalIds, { 'iface-id': 'p1', 'attached-mac': 'fa:16:3e:00:00:01' });
      assert.deepEqual(events.filter((e) => e.name === 'tap-rovsdb2').map((e) => [e.action, e.bridge])[0], ['insert', 'br-rovsdb']);
    } finally {
      stop();
      await vsctl('--if-exists', 'del-port', 'qvo-rovsdb1');
      await vsctl('--if-exists', 'del-port', 'tap-rovsdb2');
    }
  });

  it('after unsubscribing no event arrives; a second subscriber gets its own initial rows', async () => {
    const first: InterfaceEvent[] = [];
    const stop1 = linux!.onInterfaceChange((ev) => first.push(ev));
    await waitFor('the first initial rows', async () => (first.some((e) => e.action === 'initial') ? true : undefined), 10_000);
    stop1();
    const n = first.length;
    const second: InterfaceEvent[] = [];
    const stop2 = linux!.onInterfaceChange((ev) => second.push(ev));
    try {
      await waitFor('the second initial rows', async () => (second.some((e) => e.action === 'initial') ? true : undefined), 10_000);
      await vsctl('add-port', 'br-int', 'qvo-rovsdb3');
      await waitFor('the insert on the second', async () => second.find((e) => e.action === 'insert' && e.name === 'qvo-rovsdb3'), 10_000);
      assert.equal(first.length, n, 'the stopped subscriber got nothing more');
    } finally {
      stop2();
      await vsctl('--if-exists', 'del-port', 'qvo-rovsdb3');
    }
  });

  it('a connection ovsdb-server drops is reported to the subscriber', async () => {
    const lost: Error[] = [];
    const events: InterfaceEvent[] = [];
    const stop = linux!.onInterfaceChange((ev) => events.push(ev), (e) => lost.push(e));
    try {
      await waitFor('the initial rows', async () => (events.length ? true : undefined), 10_000);
      // ovsdb-server/reconnect drops every client connection (the server keeps running).
      await exec('ovs-appctl', ['-t', `${ovs.dir}/ovsdb-server.ctl`, 'ovsdb-server/reconnect']);
      const err = await waitFor('the loss', async () => lost[0], 10_000);
      assert.equal(err.name, 'OvsdbConnectionClosed');
    } finally {
      stop();
    }
  });
});
