/**
 * Issue 12: the operator API nova-api serves under /nimbus/v1, and the CLI's way in
 * (OS_* credentials, a token, nova's endpoint from the catalog). Admin only, with nova's
 * policy error for anyone else; the host RPC it is built on reads and changes a host's
 * devices.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OpsClient, OpsError, credentialsFromEnv } from '../../src/cli/ops/client.js';
import { fieldTable, table } from '../../src/cli/ops/output.js';
import { ComputeRpc } from '../../src/compute/rpc.js';
import { serviceContext } from '../../src/compute/context.js';
import { type TestCloud, inProcessOnly, startTestCloud } from '../helpers/cloud.js';

describe('operator API: /nimbus/v1 on nova-api', () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(() => cloud?.stop());

  it('answers an admin with its resources and refuses a member with nova 403', async () => {
    const admin = await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1`);
    assert.equal(admin.status, 200);
    assert.deepEqual(admin.body.resources, ['diagnose', 'faults', 'hosts', 'repair-vifs', 'snapshots', 'traces']);
    const demo = await cloud.api('demo', 'GET', `${cloud.urls.compute}/nimbus/v1`);
    assert.equal(demo.status, 403);
    assert.deepEqual(demo.body, { forbidden: { code: 403, message: "Policy doesn't allow nimbus:ops to be performed." } });
    const anon = await cloud.api(null, 'GET', `${cloud.urls.compute}/nimbus/v1`);
    assert.equal(anon.status, 401);
  });

  it('GET /nimbus/v1/hosts/{host}/devices shows a host\'s devices; an unknown host is nova\'s 404', async () => {
    const host = cloud.cfg.DEFAULT.hosts[0]!;
    const res = await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/hosts/${host}/devices`);
    assert.equal(res.status, 200);
    assert.equal(res.body.devices.host, host);
    assert.ok(res.body.devices.ovsBridges.some((b: { name: string }) => b.name === 'br-int'));
    const missing = await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/hosts/nohost/devices`);
    assert.deepEqual(missing.body, { itemNotFound: { code: 404, message: 'Compute host nohost could not be found.' } });
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.compute}/nimbus/v1/hosts/${host}/devices`)).status, 403);
  });

  it('the CLI client logs in from the openrc environment and finds the operator API', async () => {
    const client = await OpsClient.login(credentialsFromEnv(cloud.env('admin')));
    assert.equal(client.opsRoot(), `${cloud.urls.compute}/nimbus/v1`);
    const res = await client.call<{ resources: string[] }>('GET', '');
    assert.equal(res.status, 200);
    const demo = await OpsClient.login(credentialsFromEnv(cloud.env('demo')));
    await assert.rejects(demo.call('GET', ''), (e: unknown) => e instanceof OpsError && /403 Policy doesn't allow nimbus:ops/.test(e.message));
  });

  it('refuses missing or wrong credentials with what to do', async () => {
    assert.throws(() => credentialsFromEnv({}), /missing OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME: source an openrc file/);
    await assert.rejects(OpsClient.login(credentialsFromEnv({ ...cloud.env('admin'), OS_PASSWORD: 'wrong' })), /keystone refused the credentials of admin: 401/);
  });

  it('host_devices and host_run_commands read and change a host', { skip: inProcessOnly('reaches the bus of the cloud in this process') }, async () => {
    const rpc = new ComputeRpc(cloud.bus);
    const ctx = serviceContext('req-ops-test');
    const host = cloud.cfg.DEFAULT.hosts[0]!;
    const before = await rpc.hostDevices(host, ctx);
    assert.equal(before.host, host);
    assert.ok(!before.linuxBridges.some((b) => b.name === 'qbrtest'));
    const results = await rpc.hostRunCommands(host, ctx, [{ argv: ['brctl', 'addbr', 'qbrtest'] }, { argv: ['brctl', 'addbr', 'qbrtest'] }, { argv: ['brctl', 'delbr', 'qbrtest'] }]);
    // Stops at the first failure: the bridge exists, so the second addbr fails and delbr never runs.
    assert.deepEqual(results.map((r) => r.ok), [true, false]);
    assert.match(results[1]!.error ?? '', /Command: brctl addbr qbrtest/);
    const afterwards = await rpc.hostDevices(host, ctx);
    assert.ok(afterwards.linuxBridges.some((b) => b.name === 'qbrtest'));
  });
});

describe('operator output', () => {
  it('prints the openstack client table', () => {
    assert.equal(table(['A', 'Bee'], [['x', 1], ['long value', null]]), ['+------------+-----+', '| A          | Bee |', '+------------+-----+', '| x          | 1   |', '| long value |     |', '+------------+-----+'].join('\n'));
    assert.equal(fieldTable({ id: 'p1' }).split('\n')[1], '| Field | Value |');
  });
});
