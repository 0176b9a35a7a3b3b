/**
 * Issue 12 point 4's snapshots on the distributed deployment (test/helpers/deployment.ts:
 * two nova-api and two neutron-server processes behind balancers, a `nimbus host`
 * process, RabbitMQ and PostgreSQL): nova-api saves nova's database, a neutron-server
 * neutron's (q-nimbus-snapshots), the host process its devices and guests
 * (compute.<host>). Save, boot, load: the server, its ports and its devices on the host
 * are gone and a new boot works; both nova-apis list the snapshot; reset returns to the
 * first start; every answer says keystone and glance are left out.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPS_COMMANDS, runOpsCommand } from '../../src/cli/ops/index.js';
import type { Io } from '../../src/cli/ops/output.js';
import { type Deployment, deploymentApi, deploymentUnavailable, startDeployment } from '../helpers/deployment.js';
import { waitFor } from '../helpers/wait.js';

describe('snapshots on a distributed deployment', { timeout: 600_000 }, () => {
  let why: string | null = null;
  let d: Deployment | undefined;
  let api: Awaited<ReturnType<typeof deploymentApi>>;
  const snapshots = (method: string, path = '', body?: unknown) => api(method, `${d!.urls.compute}/nimbus/v1/snapshots${path}`, body);
  const servers = async () => ((await api('GET', `${d!.urls.compute}/v2.1/servers?all_tenants=1`)).body.servers as { name: string }[]).map((s) => s.name).sort();
  const networks = async () => ((await api('GET', `${d!.urls.network}/v2.0/networks`)).body.networks as { name: string }[]).map((n) => n.name).sort();
  const novaPorts = async () => ((await api('GET', `${d!.urls.network}/v2.0/ports?device_owner=compute:nova`)).body.ports as unknown[]).length;
  /** The VIF devices on compute1, read from the host process through nova-api. */
  const taps = async () => {
    const r = await api('GET', `${d!.urls.compute}/nimbus/v1/hosts/compute1/devices`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return (r.body.devices.links as { name: string }[]).map((l) => l.name).filter((n) => /^(tap|qbr|qvb|qvo)/.test(n)).sort();
  };
  const boot = async (name: string, net: string) => {
    const image = (await api('GET', `${d!.urls.image}/v2/images`)).body.images[0].id;
    const r = await api('POST', `${d!.urls.compute}/v2.1/servers`, { server: { name, flavorRef: '1', imageRef: image, networks: [{ uuid: net }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return waitFor(`${name} to settle`, async () => {
      const s = (await api('GET', `${d!.urls.compute}/v2.1/servers/${r.body.server.id}`)).body.server;
      return s.status !== 'BUILD' ? s : undefined;
    }, 120_000, 300);
  };

  before(async () => {
    why = await deploymentUnavailable('postgres');
    if (why) {
      if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
      console.warn(`snapshots on a deployment SKIPPED: ${why}`);
      return;
    }
    d = await startDeployment('postgres', { hosts: ['compute1'] });
    api = await deploymentApi(d, 'admin');
  });
  after(async () => {
    await d?.stop();
  });

  it('save, boot, load: server, ports and host devices gone, a new boot works; reset; the CLI', async (t) => {
    if (why) return t.skip(why);
    const fresh = await networks();
    const net = (await api('POST', `${d!.urls.network}/v2.0/networks`, { network: { name: 'snap-net' } })).body.network.id;
    await api('POST', `${d!.urls.network}/v2.0/subnets`, { subnet: { network_id: net, cidr: '10.9.0.0/24', ip_version: 4 } });

    const saved = await snapshots('POST', '', { snapshot: { name: 'base' } });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    assert.deepEqual(saved.body.snapshot.parts, ['nova', 'neutron', 'host compute1']);
    assert.deepEqual(saved.body.snapshot.excluded, ['keystone', 'glance']);

    const vm = await boot('vm-1', net);
    assert.equal(vm.status, 'ACTIVE', JSON.stringify(vm.fault));
    assert.ok((await taps()).length > 0, 'the boot wired devices on compute1');

    const loaded = await snapshots('POST', '/base/load');
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    assert.deepEqual(loaded.body.snapshot.parts, ['nova', 'neutron', 'host compute1']);
    assert.deepEqual(await servers(), []);
    assert.equal(await novaPorts(), 0);
    assert.deepEqual(await taps(), []);
    assert.deepEqual(await networks(), [...fresh, 'snap-net'].sort());
    // The balancer alternates between the two nova-apis: both list it (it lives in nova's database).
    for (let i = 0; i < 2; i++) assert.deepEqual(((await snapshots('GET')).body.snapshots as { name: string }[]).map((s) => s.name), ['base']);

    const again = await boot('vm-2', net);
    assert.equal(again.status, 'ACTIVE', JSON.stringify(again.fault));
    assert.equal((await taps()).length > 0, true);

    const reset = await snapshots('POST', '/reset');
    assert.equal(reset.status, 200, JSON.stringify(reset.body));
    assert.deepEqual(await servers(), []);
    assert.deepEqual(await networks(), fresh);
    assert.deepEqual(await taps(), []);
    const net2 = (await api('POST', `${d!.urls.network}/v2.0/networks`, { network: { name: 'after-reset' } })).body.network.id;
    await api('POST', `${d!.urls.network}/v2.0/subnets`, { subnet: { network_id: net2, cidr: '10.9.0.0/24', ip_version: 4 } });
    const third = await boot('vm-3', net2);
    assert.equal(third.status, 'ACTIVE', JSON.stringify(third.fault));
    await api('DELETE', `${d!.urls.compute}/v2.1/servers/${third.id}`);
    await waitFor('vm-3 deleted', async () => ((await servers()).length === 0 ? true : undefined), 60_000, 300);

    const out: string[] = [];
    const errs: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => errs.push(l), env: d!.env('admin') };
    assert.equal(await runOpsCommand('snapshot', OPS_COMMANDS.snapshot!, ['delete', 'base'], io), 0, errs.join('\n'));
    assert.equal(await runOpsCommand('snapshot', OPS_COMMANDS.snapshot!, ['load', 'base'], io), 1);
    assert.match(errs.join('\n'), /404 Snapshot base could not be found/);
  });
});
