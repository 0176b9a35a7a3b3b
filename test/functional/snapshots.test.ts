/**
 * Issue 12 point 4: `nimbus snapshot save|load|reset` on the embedded cloud — a known
 * state per CI test. Save, boot, load: the server, its ports and its devices are gone
 * and the cloud still boots; load a snapshot holding a server: it is back, ACTIVE, and
 * deletable; reset: as started. A cloud with a task in progress refuses (409).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPS_COMMANDS, runOpsCommand } from '../../src/cli/ops/index.js';
import type { Io } from '../../src/cli/ops/output.js';
import { snapshotsUnsupportedReason } from '../../src/deploy/snapshots.js';
import { HostNetworks, createSimulatedHostNetworks } from '../../src/hostnet/index.js';
import { systemRandom } from '../../src/common/clock.js';
import { type TestCloud, inProcessCheck, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

describe('snapshots: /nimbus/v1/snapshots and nimbus snapshot', () => {
  let cloud: TestCloud;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const snapshots = (method: string, path = '', body?: unknown, user: 'admin' | 'demo' = 'admin') => cloud.api(user, method, `${cloud.urls.compute}/nimbus/v1/snapshots${path}`, body);
  const out: string[] = [];
  const errs: string[] = [];
  const cli = (...argv: string[]) => {
    out.length = 0;
    errs.length = 0;
    const io: Io = { out: (l) => out.push(l), err: (l) => errs.push(l), env: cloud.env('admin') };
    return runOpsCommand('snapshot', OPS_COMMANDS.snapshot!, argv, io);
  };
  const network = async (name: string, cidr: string) => {
    const net = (await neutron('POST', '/networks', { network: { name } })).body.network;
    await neutron('POST', '/subnets', { subnet: { network_id: net.id, cidr, ip_version: 4 } });
    return net.id as string;
  };
  const boot = async (name: string, netId: string) => {
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return waitFor(`server ${name} to settle`, async () => {
      const s = (await nova('GET', `/servers/${r.body.server.id}`)).body.server;
      return s && s.status !== 'BUILD' ? s : undefined;
    });
  };
  const servers = async () => ((await nova('GET', '/servers?all_tenants=1')).body.servers as { name: string }[]).map((s) => s.name).sort();
  const networks = async () => ((await neutron('GET', '/networks')).body.networks as { name: string }[]).map((n) => n.name).sort();
  const taps = () => cloud.hostnets.hosts().flatMap((h) => cloud.hostnets.get(h).snapshot().links.filter((l: { name: string }) => /^(tap|qbr|qvb|qvo)/.test(l.name)).map((l: { name: string }) => l.name));

  before(async () => {
    cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 }, compute: { vif_plugging_timeout: 300 } });
    imageId = (await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('save, boot, load: the server, its ports and devices are gone; the cloud boots again', async (t) => {
    const freshNetworks = await networks();
    const netA = await network('net-a', '10.20.0.0/24');
    assert.equal(await cli('save', 'base'), 0, errs.join('\n'));
    assert.match(out[0]!, /^Snapshot base \(.*\) saved\.$/);
    const vm = await boot('vm-1', netA);
    assert.equal(vm.status, 'ACTIVE');
    await network('net-b', '10.21.0.0/24');
    const later = (await cloud.api('admin', 'POST', `${cloud.urls.image}/v2/images`, { name: 'later', disk_format: 'raw', container_format: 'bare' })).body;
    const put = await fetch(`${cloud.urls.image}/v2/images/${later.id}/file`, { method: 'PUT', headers: { 'x-auth-token': await cloud.token('admin'), 'content-type': 'application/octet-stream' }, body: 'later image data' });
    assert.equal(put.status, 204);
    await inProcessCheck(t, 'reads host devices', () => assert.ok(taps().length > 0));

    // Reading a trace writes out what the services hold of it, so the load finds it stored.
    await waitFor('the boot\'s trace stored', async () => (/build_and_run_instance/.test(JSON.stringify((await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/traces/${vm.id}`)).body)) ? true : undefined));
    assert.equal(await cli('load', 'base', '-f', 'json'), 0, errs.join('\n'));
    assert.equal(JSON.parse(out.join('\n')).name, 'base');
    assert.deepEqual(await servers(), []);
    // The traces are history, not state: the removed server's boot is still there.
    // (nova-compute's steps reach the database through the conductor, a flush later.)
    const trace = await waitFor('the removed server\'s compute steps in its trace', async () => {
      const r = await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/traces/${vm.id}`);
      return r.status === 200 && /build_and_run_instance/.test(JSON.stringify(r.body)) ? r : undefined;
    });
    assert.match(JSON.stringify(trace.body), /network-vif-plugged/);
    assert.match(JSON.stringify(trace.body), /POST \/v2\.1\/servers/, 'the API request, recorded before the save');
    assert.deepEqual(await networks(), [...freshNetworks, 'net-a'].sort());
    assert.equal(((await neutron('GET', '/ports?device_owner=compute:nova')).body.ports as unknown[]).length, 0);
    await inProcessCheck(t, 'reads host devices', () => assert.deepEqual(taps(), []));
    const data = await fetch(`${cloud.urls.image}/v2/images/${imageId}/file`, { headers: { 'x-auth-token': await cloud.token('admin') } });
    assert.equal(data.status, 200, 'the image file is still there');
    assert.equal((await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images/${later.id}`)).status, 404, 'the later image is gone');
    await inProcessCheck(t, 'reads the data directory', () => assert.equal(existsSync(join(cloud.dataDir, 'images', later.id)), false));
    assert.ok((await data.arrayBuffer()).byteLength > 0);
    // Agents stay alive (their rows are not restored) and the cloud boots as before.
    assert.ok(((await neutron('GET', '/agents')).body.agents as { alive: boolean }[]).every((a) => a.alive));
    const again = await boot('vm-2', netA);
    assert.equal(again.status, 'ACTIVE');
    let wired: string[] = [];
    await inProcessCheck(t, 'reads host devices', () => void (wired = taps().sort()));

    assert.equal(await cli('save', 'with-vm'), 0, errs.join('\n'));
    assert.equal(await cli('list', '-f', 'json'), 0);
    assert.deepEqual(JSON.parse(out.join('\n')).map((s: { name: string }) => s.name), ['base', 'with-vm']);

    // Reset: as started (no net-a, no server), faults cleared too.
    await cloud.api('admin', 'POST', `${cloud.urls.compute}/nimbus/v1/faults`, { fault: { kind: 'scheduler-delay', delay: 1 } });
    assert.equal(await cli('reset'), 0, errs.join('\n'));
    assert.match(out[0]!, /^Cloud reset to its state of /);
    assert.deepEqual(await servers(), []);
    assert.deepEqual(await networks(), freshNetworks);
    assert.deepEqual((await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/faults`)).body.faults, []);

    // Back to the snapshot holding vm-2: ACTIVE, wired, and deletable as any server.
    assert.equal(await cli('load', 'with-vm'), 0, errs.join('\n'));
    const back = (await nova('GET', `/servers/${again.id}`)).body.server;
    assert.equal(back.status, 'ACTIVE');
    await inProcessCheck(t, 'reads host devices', () => assert.deepEqual(taps().sort(), wired));
    await waitFor('vm-2 port ACTIVE again', async () => ((await neutron('GET', `/ports?device_id=${again.id}`)).body.ports[0]?.status === 'ACTIVE' ? true : undefined));
    assert.equal((await nova('DELETE', `/servers/${again.id}`)).status, 204);
    await waitFor('vm-2 deleted', async () => ((await servers()).length === 0 ? true : undefined));
    await inProcessCheck(t, 'reads host devices', () => assert.deepEqual(taps(), []));
  });

  it('refuses while a server is building (409), bad names (400), unknown ones (404), members (403)', async () => {
    const netId = await network('net-c', '10.22.0.0/24');
    await cloud.api('admin', 'POST', `${cloud.urls.compute}/nimbus/v1/faults`, { fault: { kind: 'vif-plugged-drop' } });
    const r = await nova('POST', '/servers', { server: { name: 'stuck', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    await waitFor('the build to wait for its event', async () => ((await nova('GET', `/servers/${r.body.server.id}`)).body.server['OS-EXT-STS:task_state'] === 'spawning' ? true : undefined));
    const busy = await snapshots('POST', '', { snapshot: { name: 'busy' } });
    assert.equal(busy.status, 409, JSON.stringify(busy.body));
    assert.match(busy.body.conflictingRequest.message, new RegExp(`^Cannot take or load a snapshot while tasks are in progress \\(instance ${r.body.server.id} spawning\\); wait for them to finish\\.$`));
    assert.equal(await cli('load', 'base'), 1);
    assert.match(errs.join('\n'), /409 Cannot take or load a snapshot/);
    await cloud.api('admin', 'DELETE', `${cloud.urls.compute}/nimbus/v1/faults`);
    await nova('DELETE', `/servers/${r.body.server.id}`);
    await waitFor('stuck deleted', async () => ((await nova('GET', `/servers/${r.body.server.id}`)).status === 404 ? true : undefined));

    const bad = await snapshots('POST', '', { snapshot: { name: '../etc' } });
    assert.deepEqual(bad.body, { badRequest: { code: 400, message: `Invalid snapshot name "../etc": 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.` } });
    assert.deepEqual((await snapshots('POST', '/nope/load')).body, { itemNotFound: { code: 404, message: 'Snapshot nope could not be found.' } });
    assert.equal((await snapshots('GET', '', undefined, 'demo')).status, 403);
    assert.equal(await cli('delete', 'base'), 0);
    assert.equal(await cli('delete', 'base'), 1);
    assert.equal(await cli('load'), 2);
  });

  it('says why a cloud with real hosts has none (any database will do)', () => {
    const hostnets = createSimulatedHostNetworks(cloud.cfg, { random: systemRandom });
    assert.equal(snapshotsUnsupportedReason(hostnets), null);
    const real = new HostNetworks();
    real.add({ host: 'real1' } as never);
    assert.equal(snapshotsUnsupportedReason(real), "Snapshots need simulated hosts: real hosts' devices cannot be saved.");
  });
});
