/**
 * Issue 8, defect 3: boot requests real nova refuses, which Nimbus used to accept
 * (one fuzzed max_count + fixed_ip request made ~500 servers). Each refusal answers
 * with nova's status and text and leaves nothing behind: no instance, no port, no
 * allocation. Also the admin forms those rules guard — a forced host (`zone:host`,
 * `zone::node`, `zone:host:node`) and 2.74's requested host/hypervisor_hostname — which
 * place the server where asked.
 */
// nimbus-test: in-process only — counts rows through the compute store and stops agents in-process
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DeepPartial, Config } from '../../src/common/config.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

type User = 'admin' | 'demo';

describe('compute: boot requests nova refuses (issue 8, defect 3)', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (user: User, method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: User, method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const server = (extra: Record<string, unknown>) => ({ server: { name: 'vm', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }], ...extra } });

  /** Instances, compute ports and allocations that exist now. */
  async function counts() {
    const kysely = (cloud.compute as unknown as { d: { db: { kysely: any } } }).d.db.kysely;
    const ports = (await neutron('admin', 'GET', '/ports')).body.ports as { device_owner: string }[];
    return {
      instances: (await kysely.selectFrom('instances').selectAll().where('deleted', '=', 0).execute()).length as number,
      ports: ports.filter((p) => p.device_owner.startsWith('compute:')).length,
      allocations: (await kysely.selectFrom('allocations').selectAll().execute()).length as number,
    };
  }

  /** POSTs a boot that must be refused with `status` and nova's `message`, and checks nothing was made. */
  async function refused(user: User, body: unknown, status: number, message: string, mv?: string) {
    const before = await counts();
    const r = await nova(user, 'POST', '/servers', body, mv);
    assert.equal(r.status, status, JSON.stringify(r.body));
    const fault = Object.values(r.body as Record<string, { code: number; message: string }>)[0]!;
    assert.equal(fault.message, message);
    assert.equal(fault.code, status);
    assert.deepEqual(await counts(), before, 'a refused boot leaves nothing behind');
  }

  async function settle(id: string) {
    return waitFor(`server ${id} to settle`, async () => {
      const s = (await nova('admin', 'GET', `/servers/${id}`)).body.server;
      return s && s.status !== 'BUILD' ? s : undefined;
    });
  }

  async function bootAndSettle(user: User, body: unknown, mv?: string) {
    const r = await nova(user, 'POST', '/servers', body, mv);
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return settle(r.body.server.id);
  }

  before(async () => {
    cloud = await startTestCloud(FAST);
    const net = await neutron('demo', 'POST', '/networks', { network: { name: 'net1', shared: false } });
    netId = net.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  it('max_count or min_count > 1 with a fixed IP is 400 InvalidFixedIpAndMaxCountRequest', async () => {
    const msg = 'Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.';
    await refused('demo', server({ networks: [{ uuid: netId, fixed_ip: '1.2.3.50' }], max_count: 2 }), 400, msg);
    await refused('demo', server({ networks: [{ uuid: netId, fixed_ip: '1.2.3.50' }], min_count: '2' }), 400, msg);
    // The fuzzed request of the bug report: a huge max_count.
    await refused('demo', server({ networks: [{ uuid: netId, fixed_ip: '1.2.3.50' }], max_count: 500 }), 400, msg);
  });

  it('max_count > 1 with a port is 400 MultiplePortsNotApplicable', async () => {
    const port = await neutron('demo', 'POST', '/ports', { port: { network_id: netId, name: 'user-port' } });
    const msg = 'Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.';
    await refused('demo', server({ networks: [{ port: port.body.port.id }], max_count: 2 }), 400, msg);
    const after = (await neutron('demo', 'GET', `/ports/${port.body.port.id}`)).body.port;
    assert.equal(after.device_id, '', 'the port was not touched');
    await neutron('demo', 'DELETE', `/ports/${port.body.port.id}`);
  });

  it('min_count > max_count, a 2.90 hostname for several, and an unparsable zone are 400', async () => {
    await refused('demo', server({ min_count: 3, max_count: 2 }), 400, 'min_count must be <= max_count');
    await refused('demo', server({ hostname: 'one', max_count: 2 }), 400, 'Unable to allocate a single hostname to multiple instances');
    await refused('demo', server({ availability_zone: 'a:b:c:d' }), 400, 'Invalid input received: Unable to parse availability_zone');
  });

  it('an availability zone that does not exist is 400', async () => {
    await refused('demo', server({ availability_zone: 'nowhere' }), 400, 'The requested availability zone is not available');
    await refused('admin', server({ availability_zone: 'nowhere' }), 400, 'The requested availability zone is not available');
  });

  it('a key_name with no such keypair is 400 "Invalid key_name provided."', async () => {
    await refused('demo', server({ key_name: 'nokey' }), 400, 'Invalid key_name provided.');
  });

  it('a member forcing a host is 403 by policy', async () => {
    const msg = "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.";
    await refused('demo', server({ availability_zone: 'nova:compute1' }), 403, msg);
    await refused('demo', server({ availability_zone: 'nova::compute1' }), 403, msg);
    await refused('demo', server({ availability_zone: ':compute1:compute1' }), 403, msg);
  });

  it('2.74 host / hypervisor_hostname: 403 for a member, refused by the schema before 2.74, 400 for unknown ones', async () => {
    const policy = "Policy doesn't allow compute:servers:create:requested_destination to be performed.";
    await refused('demo', server({ host: 'compute1' }), 403, policy);
    await refused('demo', server({ hypervisor_hostname: 'compute1' }), 403, policy);
    const value = (extra: string) => `{'name': 'vm', 'flavorRef': '100', 'imageRef': '${imageId}', 'networks': [{'uuid': '${netId}'}], ${extra}}`;
    await refused('admin', server({ host: 'compute1' }), 400, `Invalid input for field/attribute server. Value: ${value("'host': 'compute1'")}. Additional properties are not allowed ('host' was unexpected)`, '2.73');
    await refused(
      'admin',
      server({ hypervisor_hostname: 'compute1' }),
      400,
      `Invalid input for field/attribute server. Value: ${value("'hypervisor_hostname': 'compute1'")}. Additional properties are not allowed ('hypervisor_hostname' was unexpected)`,
      '2.73',
    );
    await refused('admin', server({ host: 'compute9' }), 400, 'Compute host compute9 could not be found.');
    await refused('admin', server({ hypervisor_hostname: 'node9' }), 400, 'Compute host node9 could not be found.');
    await refused('admin', server({ host: 'compute1', hypervisor_hostname: 'compute2' }), 400, 'Compute host compute1 could not be found.');
    await refused(
      'admin',
      server({ host: 'compute1', availability_zone: 'nova:compute1' }),
      400,
      'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
    );
  });

  it('an admin forcing a host or node gets it; an unknown forced host is ERROR "No such host"', async () => {
    // Every form, each naming a host; the weigher alone would spread them differently.
    const onTwo = await bootAndSettle('admin', server({ name: 'forced2', availability_zone: 'nova:compute2' }));
    assert.equal(onTwo.status, 'ACTIVE');
    assert.equal(onTwo['OS-EXT-SRV-ATTR:host'], 'compute2');
    assert.equal(onTwo['OS-EXT-AZ:availability_zone'], 'nova');
    const again = await bootAndSettle('admin', server({ name: 'forced2b', availability_zone: ':compute2' }));
    assert.equal(again['OS-EXT-SRV-ATTR:host'], 'compute2');
    const onOne = await bootAndSettle('admin', server({ name: 'forced1', availability_zone: 'nova::compute1' }));
    assert.equal(onOne['OS-EXT-SRV-ATTR:host'], 'compute1');
    const hostNode = await bootAndSettle('admin', server({ name: 'forced1b', availability_zone: 'nova:compute1:compute1' }));
    assert.equal(hostNode['OS-EXT-SRV-ATTR:host'], 'compute1');

    // A zone the forced node's host is not in is dropped, not refused (nova's bug #1934770 fix).
    const otherZone = await bootAndSettle('admin', server({ name: 'forced1c', availability_zone: 'elsewhere::compute1' }));
    assert.equal(otherZone['OS-EXT-SRV-ATTR:host'], 'compute1');
    assert.equal(otherZone['OS-EXT-AZ:availability_zone'], 'nova');

    const nowhere = await bootAndSettle('admin', server({ name: 'forced9', availability_zone: 'nova:compute9' }));
    assert.equal(nowhere.status, 'ERROR');
    assert.equal(nowhere.fault.message, 'No valid host was found. No such host - host: compute9 node: None ');
  });

  it('an admin requesting a host (2.74) gets it', async () => {
    const s = await bootAndSettle('admin', server({ name: 'req2', host: 'compute2' }));
    assert.equal(s.status, 'ACTIVE');
    assert.equal(s['OS-EXT-SRV-ATTR:host'], 'compute2');
    const n = await bootAndSettle('admin', server({ name: 'req1', hypervisor_hostname: 'compute1' }));
    assert.equal(n['OS-EXT-SRV-ATTR:host'], 'compute1');
  });

  it('max_count beyond the quota: nova text for what is over, and nothing made', async () => {
    const projectId = await demoProjectId();
    const set = await nova('admin', 'PUT', `/os-quota-sets/${projectId}`, { quota_set: { instances: 2 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    try {
      await refused('demo', server({ min_count: 3 }), 403, 'Quota exceeded for instances: Requested 3, but already used 0 of 2 instances');
      await refused('demo', server({ min_count: 3, max_count: 5 }), 403, 'Quota exceeded for instances: Requested 3-5, but already used 0 of 2 instances');
      await nova('admin', 'PUT', `/os-quota-sets/${projectId}`, { quota_set: { cores: 2 } });
      await refused('demo', server({ min_count: 3, max_count: 4 }), 403, 'Quota exceeded for cores, instances: Requested 4, 3-4, but already used 0, 0 of 2, 2 cores, instances');
      // What fits of [min, max] is made: two of five.
      const r = await nova('demo', 'POST', '/servers', server({ name: 'many', max_count: 5, return_reservation_id: true }));
      assert.equal(r.status, 202, JSON.stringify(r.body));
      const made = (await nova('demo', 'GET', `/servers/detail`)).body.servers as { id: string; name: string }[];
      assert.deepEqual(made.map((x) => x.name).sort(), ['many-1', 'many-2']);
      for (const x of made) await settle(x.id);
      for (const x of made) await nova('demo', 'DELETE', `/servers/${x.id}`);
      await waitFor('servers gone', async () => ((await nova('demo', 'GET', '/servers')).body.servers.length === 0 ? true : undefined));
    } finally {
      await nova('admin', 'PUT', `/os-quota-sets/${projectId}`, { quota_set: { instances: 10, cores: 20 } });
    }
  });

  it("min_count beyond neutron's port quota is 403 PortLimitExceeded, not fewer servers", async () => {
    const projectId = await demoProjectId();
    // neutron counts the project's own ports (admin's servers on demo's network are admin's).
    const ports = (await neutron('admin', 'GET', `/ports?tenant_id=${projectId}`)).body.ports.length as number;
    const set = await neutron('admin', 'PUT', `/quotas/${projectId}`, { quota: { port: ports + 1 } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    try {
      await refused('demo', server({ min_count: 2 }), 403, 'Maximum number of ports exceeded');
    } finally {
      await neutron('admin', 'PUT', `/quotas/${projectId}`, { quota: { port: 500 } });
    }
  });

  async function demoProjectId(): Promise<string> {
    const t = await cloud.api('demo', 'GET', `${cloud.urls.identity}/v3/auth/tokens`, undefined, { 'x-subject-token': await cloud.token('demo') });
    return t.body.token.project.id as string;
  }
});

describe('compute: a forced host is never rescheduled (populate_retry)', () => {
  let cloud: TestCloud;
  after(() => cloud?.stop());

  it('a build failing on the forced host ends in ERROR with its own reason, tried once', async () => {
    cloud = await startTestCloud({ ...FAST, network: { ...FAST.network, agent_down_time: 1 } });
    const nova = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
    const net = await cloud.api('admin', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'n' } });
    await cloud.api('admin', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.1.0.0/24', ip_version: 4 } });
    const imageId = (await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    // No live agent anywhere: binding fails on whichever host the build lands.
    for (const h of cloud.hostnets.hosts()) await cloud.agents.setReporting(h, false);
    await new Promise((r) => setTimeout(r, 1100));
    const r = await nova('POST', '/servers', { server: { name: 'f', flavorRef: '100', imageRef: imageId, networks: [{ uuid: net.body.network.id }], availability_zone: 'nova:compute1' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    const s = await waitFor('server to settle', async () => {
      const v = (await nova('GET', `/servers/${r.body.server.id}`)).body.server;
      return v && v.status !== 'BUILD' ? v : undefined;
    });
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.message, /^Binding failed for port /);
    const requestId = (await nova('GET', `/servers/${s.id}/os-instance-actions`)).body.instanceActions[0].request_id;
    const events = (await nova('GET', `/servers/${s.id}/os-instance-actions/${requestId}`)).body.instanceAction.events as { event: string; host?: string }[];
    assert.deepEqual(
      events.map((ev) => ev.event),
      ['conductor_schedule_and_build_instances', 'compute__do_build_and_run_instance'],
    );
  });
});
