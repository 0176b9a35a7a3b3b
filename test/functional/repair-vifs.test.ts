/**
 * Issue 12 point 2, `nimbus repair-vifs` over a running cloud: servers are booted, their
 * hosts broken by hand through compute.<host>'s host_run_commands (qbr deleted, qvo
 * taken off br-int, wrong external-ids, wrong MTU, a stale qbr/qvb/qvo of no instance);
 * GET /nimbus/v1/repair-vifs must name each with the seed's nova-rootwrap lines, POST
 * with apply must fix it (the OVS agent sees the qvo again and the port is ACTIVE), and a
 * second plan is empty. Then the CLI: table, -f json, --apply and its exit statuses.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { repairVifsCommand } from '../../src/cli/ops/repair-vifs.js';
import { runOpsCommand } from '../../src/cli/ops/index.js';
import type { Io } from '../../src/cli/ops/output.js';
import { serviceContext } from '../../src/compute/context.js';
import { ComputeRpc } from '../../src/compute/rpc.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };
const ROOTWRAP = 'sudo nova-rootwrap /etc/nova/rootwrap.conf';
const STALE_PORT = 'deadbeef-0000-4000-8000-000000000001';
const STALE_VM = 'deadbeef-0000-4000-8000-0000000000aa';

// Breaks hosts through compute.<host> on this process's bus.
const SKIP = inProcessOnly('breaks hosts through compute.<host> on the bus of the cloud in this process');

interface Guest {
  id: string;
  name: string;
  host: string;
  portId: string;
  ip: string;
  mac: string;
  short: string;
}

describe('repair-vifs: plan, apply, plan again', { skip: SKIP }, () => {
  let cloud: TestCloud;
  let rpc: ComputeRpc;
  let a: Guest;
  let b: Guest;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body);
  const ops = (method: string, path: string, body?: unknown, user: 'admin' | 'demo' = 'admin') => cloud.api(user, method, `${cloud.urls.compute}/nimbus/v1${path}`, body);
  const port = async (id: string) => (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports/${id}`)).body.port;

  /** Runs commands on a host as an operator's shell would; each must succeed. */
  async function onHost(host: string, ...argvs: string[][]): Promise<void> {
    const results = await rpc.hostRunCommands(host, serviceContext('req-break'), argvs.map((argv) => ({ argv })));
    assert.ok(results.length === argvs.length && results.every((r) => r.ok), JSON.stringify(results));
  }

  async function boot(name: string, netId: string, imageId: string): Promise<Guest> {
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const id = r.body.server.id as string;
    const server = await waitFor(`server ${name} ACTIVE`, async () => {
      const s = (await cloud.api('admin', 'GET', `${cloud.urls.compute}/v2.1/servers/${id}`)).body.server;
      if (s?.status === 'ERROR') throw new Error(`${name} went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === 'ACTIVE' ? s : undefined;
    });
    const ports = (await cloud.api('admin', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${id}`)).body.ports;
    const p = ports[0];
    return { id, name, host: server['OS-EXT-SRV-ATTR:host'], portId: p.id, ip: p.fixed_ips[0].ip_address, mac: p.mac_address, short: p.id.slice(0, 11) };
  }

  /** GET's differences, as "kind device" strings, over every host. */
  async function plan(query: string): Promise<{ kinds: string[]; lines: string[]; body: any }> {
    const res = await ops('GET', `/repair-vifs${query}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const diffs = res.body.hosts.flatMap((h: any) => [...h.vifs.flatMap((v: any) => v.differences), ...h.stale]);
    return { kinds: diffs.map((d: any) => `${d.kind} ${d.device ?? d.portIdPrefix}`), lines: diffs.flatMap((d: any) => d.commands.map((c: any) => c.line)), body: res.body };
  }

  async function apply(body: Record<string, unknown>): Promise<any[]> {
    const res = await ops('POST', '/repair-vifs', { apply: true, ...body });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const h of res.body.hosts) {
      assert.equal(h.error, undefined);
      assert.ok(h.results.every((r: any) => r.ok), JSON.stringify(h.results));
    }
    return res.body.hosts;
  }

  const emptyAfter = (hosts: any[]) => hosts.every((h) => h.after.vifs.length === 0 && h.after.stale.length === 0);

  before(async () => {
    cloud = await startTestCloud(FAST);
    rpc = new ComputeRpc(cloud.bus);
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'repair-net' } });
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.80.0.0/24', ip_version: 4 } });
    const imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    a = await boot('vm-a', net.body.network.id, imageId);
    b = await boot('vm-b', net.body.network.id, imageId);
    await waitFor('ports ACTIVE', async () => ((await port(a.portId)).status === 'ACTIVE' && (await port(b.portId)).status === 'ACTIVE' ? true : undefined));
  });
  after(() => cloud?.stop());

  it('finds nothing on hosts the VIF driver plugged (the DHCP agent\'s ports are not stale)', async () => {
    const p = await plan('');
    assert.deepEqual(p.kinds, []);
    assert.deepEqual(p.body.hosts.map((h: any) => h.host).sort(), [...cloud.cfg.DEFAULT.hosts].sort());
  });

  it('a deleted qbr: the bridge re-made with the seed\'s lines and qvb put back; a second run finds nothing', async () => {
    await onHost(a.host, ['ip', 'link', 'set', `qbr${a.short}`, 'down'], ['brctl', 'delbr', `qbr${a.short}`]);
    const p = await plan(`?server=${a.name}`);
    // The simulated guest has no tap (a libvirt one would be put back with `brctl addif qbrX tapX`).
    assert.deepEqual(p.kinds, [`missing-bridge qbr${a.short}`, `link-down qbr${a.short}`, `veth-not-in-bridge qvb${a.short}`]);
    assert.deepEqual(p.lines.slice(0, 2), [`${ROOTWRAP} brctl addbr qbr${a.short}`, `${ROOTWRAP} brctl setfd qbr${a.short} 0`]);
    assert.ok(p.lines.includes(`${ROOTWRAP} brctl addif qbr${a.short} qvb${a.short}`));
    // The other server is not asked about.
    assert.deepEqual(p.body.hosts.map((h: any) => h.vifs.map((v: any) => v.instanceUuid)), [[a.id]]);

    const hosts = await apply({ server: a.id });
    assert.equal(hosts[0].results.length, p.lines.length);
    assert.ok(emptyAfter(hosts));
    assert.deepEqual((await plan('')).kinds, []);
    assert.equal((await port(a.portId)).status, 'ACTIVE');
  });

  it('a qvo taken off br-int: re-added with its external ids, the agent wires it again and the port is ACTIVE', async () => {
    await onHost(b.host, ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', `qvo${b.short}`]);
    await waitFor('the agent reports the port down', async () => ((await port(b.portId)).status === 'DOWN' ? true : undefined));
    const p = await plan(`?port=${b.portId}`);
    assert.deepEqual(p.kinds, [`missing-ovs-port qvo${b.short}`]);
    const add = p.lines[0]!;
    assert.ok(add.startsWith(`${ROOTWRAP} ovs-vsctl -- --if-exists del-port qvo${b.short} -- add-port br-int qvo${b.short} -- set Interface qvo${b.short} `), add);
    for (const id of [`external-ids:iface-id=${b.portId}`, 'external-ids:iface-status=active', `external-ids:attached-mac=${b.mac}`, `external-ids:vm-uuid=${b.id}`]) assert.ok(add.includes(id), `${id} in ${add}`);

    assert.ok(emptyAfter(await apply({ port: b.portId })));
    await waitFor('the port ACTIVE again', async () => ((await port(b.portId)).status === 'ACTIVE' ? true : undefined));
    const devices = await rpc.hostDevices(b.host, serviceContext('req-check'));
    const qvo = devices.ovsBridges.find((br) => br.name === 'br-int')!.ports.find((x) => x.name === `qvo${b.short}`)!;
    assert.notEqual(qvo.tag, null, 'the OVS agent gave the re-added qvo its local VLAN');
    assert.deepEqual((await plan('')).kinds, []);
  });

  it('wrong external-ids, found by the guest\'s IP: only the wrong ones are set', async () => {
    await onHost(a.host, ['ovs-vsctl', 'set', 'Interface', `qvo${a.short}`, 'external-ids:vm-uuid=00000000-0000-0000-0000-000000000000']);
    const p = await plan(`?ip=${a.ip}`);
    assert.deepEqual(p.kinds, [`wrong-external-ids qvo${a.short}`]);
    assert.deepEqual(p.lines, [`${ROOTWRAP} ovs-vsctl set Interface qvo${a.short} external-ids:vm-uuid=${a.id}`]);
    assert.ok(emptyAfter(await apply({ ip: a.ip })));
    assert.deepEqual((await plan(`?ip=${a.ip}`)).kinds, []);
  });

  it('a wrong MTU on a veth end, on one host', async () => {
    const before = (await rpc.hostDevices(a.host, serviceContext('req-mtu'))).links.find((l) => l.name === `qvb${a.short}`)!.mtu;
    await onHost(a.host, ['ip', 'link', 'set', `qvb${a.short}`, 'mtu', '1300']);
    const p = await plan(`?host=${a.host}`);
    assert.deepEqual(p.kinds, [`wrong-mtu qvb${a.short}`]);
    assert.deepEqual(p.lines, [`${ROOTWRAP} ip link set qvb${a.short} mtu ${before}`]);
    assert.ok(emptyAfter(await apply({ host: a.host })));
    assert.deepEqual((await plan(`?host=${a.host}`)).kinds, []);
  });

  it('leaves an instance with a task under way alone (its devices are not stale either)', async () => {
    await cloud.compute.instances.save(a.id, { taskState: 'migrating' });
    try {
      await onHost(a.host, ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', `qvo${a.short}`]);
      const res = await ops('GET', `/repair-vifs?host=${a.host}`);
      const h = res.body.hosts[0];
      assert.deepEqual([h.vifs, h.stale], [[], []]);
      assert.deepEqual(h.skipped, [{ instanceUuid: a.id, instanceName: 'vm-a', reason: 'task_state migrating' }]);
      const applied = await apply({ host: a.host });
      assert.deepEqual(applied[0].results, []);
    } finally {
      await cloud.compute.instances.save(a.id, { taskState: null });
    }
    assert.deepEqual((await plan(`?host=${a.host}`)).kinds, [`missing-ovs-port qvo${a.short}`]);
    assert.ok(emptyAfter(await apply({ host: a.host })));
    await waitFor('the port ACTIVE again', async () => ((await port(a.portId)).status === 'ACTIVE' ? true : undefined));
  });

  it('a qbr/qvb/qvo of no instance: offered for removal, removed only with removeStale', async () => {
    const s = STALE_PORT.slice(0, 11);
    await onHost(
      a.host,
      ['brctl', 'addbr', `qbr${s}`],
      ['ip', 'link', 'add', `qvb${s}`, 'type', 'veth', 'peer', 'name', `qvo${s}`],
      ['brctl', 'addif', `qbr${s}`, `qvb${s}`],
      ['ovs-vsctl', '--', '--may-exist', 'add-port', 'br-int', `qvo${s}`, '--', 'set', 'Interface', `qvo${s}`, `external-ids:iface-id=${STALE_PORT}`, 'external-ids:iface-status=active', 'external-ids:attached-mac=fa:16:3e:00:00:01', `external-ids:vm-uuid=${STALE_VM}`],
    );
    const p = await plan('');
    assert.deepEqual(p.kinds, [`stale-devices ${s}`]);
    assert.deepEqual(p.body.hosts.find((h: any) => h.host === a.host).stale[0].devices, [`qbr${s}`, `qvb${s}`, `qvo${s}`]);
    assert.ok(p.lines.includes(`${ROOTWRAP} brctl delbr qbr${s}`));
    assert.ok(p.lines.includes(`${ROOTWRAP} ovs-vsctl --if-exists del-port br-int qvo${s}`), p.lines.join('\n'));
    // A server, port or IP named: stale devices are not looked for.
    assert.deepEqual((await plan(`?server=${a.id}`)).kinds, []);

    const kept = await apply({ host: a.host });
    assert.deepEqual(kept[0].results, []);
    assert.deepEqual(kept[0].after.stale.map((d: any) => d.portIdPrefix), [s]);
    assert.ok(emptyAfter(await apply({ host: a.host, removeStale: true })));
    const links = (await rpc.hostDevices(a.host, serviceContext('req-stale'))).links.map((l) => l.name);
    for (const d of ['qbr', 'qvb', 'qvo']) assert.ok(!links.includes(`${d}${s}`), `${d}${s} removed`);
    assert.deepEqual((await plan('')).kinds, []);
  });

  it('answers unknown selectors with nova\'s 404s, two selectors with 400, a member with 403', async () => {
    const missing = 'f0f0f0f0-0000-4000-8000-000000000000';
    assert.deepEqual((await ops('GET', `/repair-vifs?server=${missing}`)).body, { itemNotFound: { code: 404, message: `Instance ${missing} could not be found.` } });
    assert.deepEqual((await ops('GET', '/repair-vifs?server=no-such-vm')).body, { itemNotFound: { code: 404, message: 'Instance no-such-vm could not be found.' } });
    assert.deepEqual((await ops('GET', `/repair-vifs?port=${missing}`)).body, { itemNotFound: { code: 404, message: `Port id ${missing} could not be found.` } });
    assert.deepEqual((await ops('GET', '/repair-vifs?ip=192.0.2.99')).body, { itemNotFound: { code: 404, message: 'Fixed IP not found for address 192.0.2.99.' } });
    assert.deepEqual((await ops('GET', '/repair-vifs?host=nohost')).body, { itemNotFound: { code: 404, message: 'Compute host nohost could not be found.' } });
    assert.deepEqual((await ops('POST', '/repair-vifs', { apply: true, host: 'nohost' })).body, { itemNotFound: { code: 404, message: 'Compute host nohost could not be found.' } });
    const two = await ops('GET', `/repair-vifs?server=${a.id}&port=${a.portId}`);
    assert.equal(two.status, 400);
    assert.match(two.body.badRequest.message, /at most one of server, port and ip/);
    assert.equal((await ops('POST', '/repair-vifs', { host: a.host })).status, 400);
    assert.equal((await ops('POST', '/repair-vifs', { apply: true, bogus: 1 })).status, 400);
    assert.equal((await ops('GET', '/repair-vifs', undefined, 'demo')).status, 403);
    assert.equal((await ops('POST', '/repair-vifs', { apply: true }, 'demo')).status, 403);
  });

  describe('the CLI', () => {
    async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: cloud.env('admin') };
      const code = await runOpsCommand('repair-vifs', repairVifsCommand, argv, io);
      return { code, out: out.join('\n'), err: err.join('\n') };
    }

    it('prints the differences and the commands, exits 1; -f json; --apply repairs and exits 0; then nothing to do', async () => {
      await onHost(b.host, ['ip', 'link', 'set', `qvo${b.short}`, 'promisc', 'off']);
      const shown = await cli('--server', b.id);
      assert.equal(shown.code, 1, shown.err);
      assert.match(shown.out, /\| Host +\| Server +\| Port +\| Difference +\| Detail +\|/);
      assert.match(shown.out, new RegExp(`\\| ${b.host} +\\| vm-b \\(${b.id}\\) \\| ${b.portId} \\| not-promisc +\\| qvo${b.short} is not promiscuous`));
      assert.ok(shown.out.includes(`Commands to run on ${b.host}:\n${ROOTWRAP} ip link set qvo${b.short} promisc on`), shown.out);

      const asJson = await cli('--server', b.id, '-f', 'json');
      assert.equal(asJson.code, 1);
      const body = JSON.parse(asJson.out);
      assert.deepEqual(body.hosts[0].vifs[0].differences.map((d: any) => d.kind), ['not-promisc']);

      const applied = await cli('--server', b.id, '--apply');
      assert.equal(applied.code, 0, applied.out + applied.err);
      assert.match(applied.out, new RegExp(`ok +ip link set qvo${b.short} promisc on`));
      assert.match(applied.out, /repaired, nothing left to repair/);

      const again = await cli('--host', b.host);
      assert.equal(again.code, 0);
      assert.equal(again.out, `Nothing to repair on ${b.host}.`);
    });

    it('prints the seed\'s §4.1 script lines for a guest\'s IP whose wiring is gone, and --apply rebuilds it', async () => {
      const S = b.short;
      // libvirt's tap of the running guest (the simulated guest has none), then the wiring gone.
      await onHost(b.host, ['ip', 'tuntap', 'add', 'dev', `tap${S}`, 'mode', 'tap'], ['ip', 'link', 'set', `tap${S}`, 'up']);
      await onHost(b.host, ['ovs-vsctl', '--if-exists', 'del-port', 'br-int', `qvo${S}`], ['ip', 'link', 'delete', `qvb${S}`], ['ip', 'link', 'set', `qbr${S}`, 'down'], ['brctl', 'delbr', `qbr${S}`]);

      // The seed's gen_nova_cfg_by_ip.sh: port id, mac and device id from neutron, then its echo lines.
      const p = await port(b.portId);
      const script = seedScript(p.id, p.mac_address, p.device_id);
      const shown = await cli('--ip', b.ip);
      assert.equal(shown.code, 1);
      const lines = shown.out.split('\n').filter((l) => l.startsWith('sudo nova-rootwrap'));
      // Nova's plug also runs the multicast_snooping tee and, on a network with an MTU, sets
      // it on qvb/qvo; the seed's script (Icehouse, no MTU) has neither, nor the --timeout
      // global option Nimbus's ovs-vsctl line leaves out.
      assert.deepEqual(
        lines.filter((l) => !l.includes(' tee ') && !/ mtu \d+$/.test(l)),
        script.map((l) => l.replace(' ovs-vsctl --timeout=120 ', ' ovs-vsctl ')),
      );
      const applied = await cli('--ip', b.ip, '--apply');
      assert.equal(applied.code, 0, applied.out);
      await waitFor('the port ACTIVE again', async () => ((await port(b.portId)).status === 'ACTIVE' ? true : undefined));
    });

    it('exits 1 when stale devices are left, 2 on usage errors, 1 on an unknown server', async () => {
      const s = STALE_PORT.slice(0, 11);
      await onHost(b.host, ['brctl', 'addbr', `qbr${s}`]);
      const kept = await cli('--host', b.host, '--apply');
      assert.equal(kept.code, 1, kept.out);
      assert.match(kept.out, /add --remove-stale to remove them/);
      const removed = await cli('--host', b.host, '--apply', '--remove-stale');
      assert.equal(removed.code, 0, removed.out);
      assert.equal((await cli('--server', 'x', '--port', 'y')).code, 2);
      assert.equal((await cli('--remove-stale')).code, 2);
      assert.equal((await cli('--bogus')).code, 2);
      const unknown = await cli('--server', 'no-such-vm');
      assert.equal(unknown.code, 1);
      assert.match(unknown.err, /404 Instance no-such-vm could not be found/);
      const help = await cli('--help');
      assert.equal(help.code, 0);
      assert.match(help.out, /--remove-stale/);
    });

    it('runs as `nimbus repair-vifs` from the command line', async () => {
      const run = promisify(execFile);
      const res = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'repair-vifs', '-f', 'json'], { env: { ...process.env, ...cloud.env('admin') } });
      assert.deepEqual(
        JSON.parse(res.stdout).hosts.map((h: any) => [h.host, h.vifs.length, h.stale.length]),
        [...cloud.cfg.DEFAULT.hosts].sort().map((h) => [h, 0, 0]),
      );
    });
  });
});

/** The echo lines of the seed's §4.1 gen_nova_cfg_by_ip.sh for a port, its MAC and its device (the VM). */
function seedScript(portid: string, mac: string, device: string): string[] {
  const [tap, qbr, qvo, qvb] = ['tap', 'qbr', 'qvo', 'qvb'].map((p) => `${p}${portid.slice(0, 11)}`);
  return [
    `brctl addbr ${qbr}`,
    `brctl setfd ${qbr} 0`,
    `brctl stp ${qbr} off`,
    `ip link add ${qvb} type veth peer name ${qvo}`,
    `ip link set ${qvb} up`,
    `ip link set ${qvb} promisc on`,
    `ip link set ${qvo} up`,
    `ip link set ${qvo} promisc on`,
    `ip link set ${qbr} up`,
    `brctl addif ${qbr} ${qvb}`,
    `brctl addif ${qbr} ${tap}`,
    `ovs-vsctl --timeout=120 -- --if-exists del-port ${qvo} -- add-port br-int ${qvo} -- set Interface ${qvo} external-ids:iface-id=${portid} external-ids:iface-status=active external-ids:attached-mac=${mac} external-ids:vm-uuid=${device}`,
  ].map((l) => `${ROOTWRAP} ${l}`);
}
