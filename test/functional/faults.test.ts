/**
 * Issue 12 point 4: fault injection through /nimbus/v1/faults and `nimbus fault`, and
 * nova's and neutron's documented reaction to each fault: a network-vif-plugged dropped
 * or late past vif_plugging_timeout fails the boot (vif_plugging_is_fatal), an agent
 * down makes new bindings fail after agent_down_time, a failing create_port aborts the
 * build with nothing left behind, compute services down leave No valid host. Each fault
 * expires after its count or ttl.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import pino from 'pino';
import { OPS_COMMANDS, runOpsCommand } from '../../src/cli/ops/index.js';
import type { Io } from '../../src/cli/ops/output.js';
import { BUNDLE_TARGET, type TestCloud, inProcessCheck, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

describe('fault injection: /nimbus/v1/faults', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (method: string, path: string, body?: unknown) => cloud.api('admin', method, `${cloud.urls.network}/v2.0${path}`, body);
  const faults = (method: string, path = '', body?: unknown, user: 'admin' | 'demo' = 'admin') => cloud.api(user, method, `${cloud.urls.compute}/nimbus/v1/faults${path}`, body);
  const add = async (fault: Record<string, unknown>) => {
    const r = await faults('POST', '', { fault });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.fault as { id: string; remaining: number | null; used: number };
  };
  const boot = async (name: string) => {
    const r = await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    return waitFor(`server ${name} to settle`, async () => {
      const s = (await nova('GET', `/servers/${r.body.server.id}`)).body.server;
      return s && s.status !== 'BUILD' ? s : undefined;
    });
  };
  const computePorts = async () => ((await neutron('GET', '/ports')).body.ports as { device_owner: string }[]).filter((p) => p.device_owner.startsWith('compute:')).length;
  const deleteAll = async () => {
    for (const s of (await nova('GET', '/servers?all_tenants=1')).body.servers as { id: string }[]) await nova('DELETE', `/servers/${s.id}`);
    await waitFor('every server gone', async () => (((await nova('GET', '/servers?all_tenants=1')).body.servers as unknown[]).length === 0 ? true : undefined));
  };

  // The cloud's log lines (warn and up), for what nova warns about (in process only: the
  // bundle's cloud logs in its own process).
  const warnings: { msg: string }[] = [];
  before(async () => {
    const log = BUNDLE_TARGET ? undefined : pino({ level: 'warn', base: undefined }, { write: (l: string) => void warnings.push(JSON.parse(l)) });
    cloud = await startTestCloud({
      agent: { polling_interval: 0, report_interval: 0.2 },
      network: { send_events_interval: 0, agent_down_time: 1 },
      compute: { vif_plugging_timeout: 2, service_down_time: 2, report_interval: 0.1 },
    }, undefined, log);
    const net = await neutron('POST', '/networks', { network: { name: 'fnet' } });
    netId = net.body.network.id;
    await neutron('POST', '/subnets', { subnet: { network_id: netId, cidr: '10.7.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('admin', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  afterEach(async () => {
    await faults('DELETE');
    await deleteAll();
  });
  after(() => cloud?.stop());

  it('validates like nova (400 badRequest), is admin only, lists and removes', async () => {
    const unknown = await faults('POST', '', { fault: { kind: 'gremlins' } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body, {
      badRequest: {
        code: 400,
        message: "Invalid fault kind 'gremlins': must be one of agent-down, compute-down, neutron-call-fail, ovsdb-down, plug-failure, scheduler-delay, vif-plugged-delay, vif-plugged-drop, vif-plugged-duplicate.",
      },
    });
    assert.equal((await faults('POST', '', { fault: { kind: 'agent-down' } })).body.badRequest.message, "Fault agent-down needs 'host', the compute host it applies to.");
    assert.equal((await faults('POST', '', { fault: { kind: 'vif-plugged-delay' } })).body.badRequest.message, "Fault vif-plugged-delay needs 'delay' (seconds).");
    assert.equal((await faults('POST', '', { fault: { kind: 'vif-plugged-drop', count: 0 } })).body.badRequest.message, "Invalid 'count' 0: must be a positive integer.");
    assert.equal((await faults('POST', '', { fault: { kind: 'vif-plugged-drop', colour: 'red' } })).body.badRequest.message, "Unknown parameter 'colour' for fault vif-plugged-drop: it takes count, ttl.");
    assert.equal((await faults('POST', '', { fault: { kind: 'vif-plugged-drop' } }, 'demo')).status, 403);
    assert.equal((await faults('GET', '', undefined, 'demo')).status, 403);

    const f = await add({ kind: 'vif-plugged-drop', count: 3 });
    assert.equal(f.remaining, 3);
    const listed = (await faults('GET')).body.faults;
    assert.deepEqual(listed.map((x: { id: string; kind: string }) => [x.id, x.kind]), [[f.id, 'vif-plugged-drop']]);
    assert.equal((await faults('DELETE', `/${f.id}`)).status, 204);
    const gone = await faults('DELETE', `/${f.id}`);
    assert.deepEqual(gone.body, { itemNotFound: { code: 404, message: `Fault ${f.id} could not be found (removed, used up or expired).` } });
    assert.deepEqual((await faults('GET')).body.faults, []);
  });

  it('vif-plugged dropped: the boot fails after vif_plugging_timeout (vif_plugging_is_fatal); used up, the next boot is ACTIVE', async () => {
    const f = await add({ kind: 'vif-plugged-drop', count: 1 });
    const s = await boot('vm-drop');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, `Build of instance ${s.id} aborted: Failed to allocate the network(s), not rescheduling.`);
    assert.equal(await computePorts(), 0, 'the aborted build deleted the port it created');
    assert.deepEqual((await faults('GET')).body.faults, [], `fault ${f.id} used up after one event`);
    assert.equal((await boot('vm-after')).status, 'ACTIVE');
  });

  it('vif-plugged delayed past vif_plugging_timeout fails the boot; a short delay does not', async () => {
    await add({ kind: 'vif-plugged-delay', delay: 0.2, count: 1 });
    assert.equal((await boot('vm-late-ok')).status, 'ACTIVE');
    await add({ kind: 'vif-plugged-delay', delay: 30, count: 1 });
    const s = await boot('vm-late');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, `Build of instance ${s.id} aborted: Failed to allocate the network(s), not rescheduling.`);
  });

  it('vif-plugged duplicated: nova takes the first and warns about the second, the boot is ACTIVE', async (t) => {
    const f = await add({ kind: 'vif-plugged-duplicate', count: 1 });
    const s = await boot('vm-dup');
    assert.equal(s.status, 'ACTIVE');
    // nova's _process_instance_event: an event nobody waits for is a warning.
    await inProcessCheck(t, "reads the cloud's log", () =>
      waitFor('the warning about the second event', async () => (warnings.some((w) => /^Received unexpected event network-vif-plugged-[0-9a-f-]+ for instance with vm_state (building|active) and task_state/.test(w.msg)) ? true : undefined)),
    );
    assert.equal((await faults('GET')).body.faults.some((x: { id: string }) => x.id === f.id), false);
  });

  it('expires after ttl seconds', async () => {
    const f = await add({ kind: 'vif-plugged-drop', ttl: 0.3 });
    assert.equal((await faults('GET')).body.faults[0].expires_at !== null, true);
    await waitFor('the fault to expire', async () => (((await faults('GET')).body.faults as unknown[]).length === 0 ? true : undefined));
    assert.equal((await faults('DELETE', `/${f.id}`)).status, 404);
    assert.equal((await boot('vm-ttl')).status, 'ACTIVE');
  });

  it('agent down on a host: after agent_down_time new ports on it are binding_failed; lifted, it binds again', async () => {
    const host = cloud.cfg.DEFAULT.hosts[0]!;
    const f = await add({ kind: 'agent-down', host });
    const aliveOn = async () => ((await neutron('GET', `/agents?host=${host}&binary=neutron-openvswitch-agent`)).body.agents as { alive: boolean }[])[0]?.alive;
    await waitFor(`the agent of ${host} to be seen dead`, async () => ((await aliveOn()) === false ? true : undefined));
    const port = await neutron('POST', '/ports', { port: { network_id: netId, 'binding:host_id': host } });
    assert.equal(port.body.port['binding:vif_type'], 'binding_failed');
    assert.equal((await faults('DELETE', `/${f.id}`)).status, 204);
    await waitFor(`the agent of ${host} to be alive again`, async () => ((await aliveOn()) === true ? true : undefined));
    const again = await neutron('PUT', `/ports/${port.body.port.id}`, { port: { 'binding:host_id': host } });
    assert.equal(again.body.port['binding:vif_type'], 'ovs');
    await neutron('DELETE', `/ports/${port.body.port.id}`);
  });

  it('create_port failing with 500: the build is rescheduled; failing everywhere, ERROR with its ports deleted', async () => {
    // From the 2nd call on, every create_port fails (no count): vm-first's passes.
    const f = await add({ kind: 'neutron-call-fail', call: 'create_port', nth: 2 });
    assert.equal((await boot('vm-first')).status, 'ACTIVE', 'the first create_port passes');
    const s = await boot('vm-500');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${s.id}.`);
    assert.equal(await computePorts(), 1, "only vm-first's port is left");
    assert.equal((await faults('GET')).body.faults.find((x: { id: string }) => x.id === f.id).used, Math.min(cloud.cfg.compute.max_attempts, cloud.cfg.DEFAULT.hosts.length), 'one failed create_port per host tried');
    await faults('DELETE');
    // One failure (count 1): nova reschedules the build to another host, where it succeeds.
    await add({ kind: 'neutron-call-fail', call: 'create_port', count: 1 });
    const again = await boot('vm-resched');
    assert.equal(again.status, 'ACTIVE');
    const requestId = (await nova('GET', `/servers/${again.id}/os-instance-actions`)).body.instanceActions[0].request_id;
    const events = (await nova('GET', `/servers/${again.id}/os-instance-actions/${requestId}`)).body.instanceAction.events as { event: string }[];
    assert.equal(events.filter((e) => e.event === 'compute__do_build_and_run_instance').length, 2, 'built on a second host');
    assert.deepEqual((await faults('GET')).body.faults, []);
  });

  it('update_port failing with a NeutronError type: ERROR once every host failed, nothing left', async () => {
    await add({ kind: 'neutron-call-fail', call: 'update_port', status: 409, error: 'PortBindingFailed' });
    const s = await boot('vm-409');
    assert.equal(s.status, 'ERROR');
    assert.equal(await computePorts(), 0);
  });

  it('compute service down on every host: No valid host', async () => {
    const hosts = cloud.cfg.DEFAULT.hosts;
    for (const host of hosts) await add({ kind: 'compute-down', host });
    const stateOf = async (host: string) => ((await nova('GET', '/os-services?binary=nova-compute')).body.services as { host: string; state: string }[]).find((x) => x.host === host)?.state;
    for (const host of hosts) await waitFor(`${host} down`, async () => ((await stateOf(host)) === 'down' ? true : undefined));
    const s = await boot('vm-nohost');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, 'No valid host was found. There are not enough hosts available.');
    await faults('DELETE');
    for (const host of hosts) await waitFor(`${host} up`, async () => ((await stateOf(host)) === 'up' ? true : undefined));
  });

  it('plug failure on the only host up: os-vif\'s error there, no host left to retry on', async () => {
    const hosts = cloud.cfg.DEFAULT.hosts;
    for (const host of hosts.slice(1)) await add({ kind: 'compute-down', host });
    for (const host of hosts.slice(1)) {
      await waitFor(`${host} down`, async () => (((await nova('GET', '/os-services?binary=nova-compute')).body.services as { host: string; state: string }[]).find((x) => x.host === host)?.state === 'down' ? true : undefined));
    }
    await add({ kind: 'plug-failure', host: hosts[0]!, count: 1 });
    const s = await boot('vm-plug');
    assert.equal(s.status, 'ERROR');
    assert.equal(s.fault.message, `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${s.id}.`);
    assert.match(s.fault.details, new RegExp(`${hosts[0]}: Failure running os_vif plugin plug method: Failed to plug VIF [\\s\\S]*Command: ovs-vsctl -- --may-exist add-port br-int qvo`));
    assert.equal(await computePorts(), 0);
  });

  it('OVSDB down on the only host up: ovs-vsctl fails as with ovsdb-server stopped, so the plug and the build fail', async (t) => {
    const hosts = cloud.cfg.DEFAULT.hosts;
    for (const host of hosts.slice(1)) await add({ kind: 'compute-down', host });
    for (const host of hosts.slice(1)) {
      await waitFor(`${host} down`, async () => (((await nova('GET', '/os-services?binary=nova-compute')).body.services as { host: string; state: string }[]).find((x) => x.host === host)?.state === 'down' ? true : undefined));
    }
    await add({ kind: 'ovsdb-down', host: hosts[0]!, ttl: 60 });
    await inProcessCheck(t, 'runs a command on the simulated host', () =>
      assert.rejects(cloud.hostnets.get(hosts[0]!).execute(['ovs-vsctl', 'show']), /ovs-vsctl: unix:\/var\/run\/openvswitch\/db\.sock: database connection failed \(No such file or directory\)/),
    );
    const s = await boot('vm-ovsdb');
    assert.equal(s.status, 'ERROR');
    assert.match(s.fault.details, new RegExp(`${hosts[0]}: Failure running os_vif plugin plug method: [\\s\\S]*database connection failed \\(No such file or directory\\)`));
    assert.equal(await computePorts(), 0);
    await faults('DELETE');
    await inProcessCheck(t, 'runs a command on the simulated host', () => cloud.hostnets.get(hosts[0]!).execute(['ovs-vsctl', 'show']));
  });

  it('scheduler slowness: select_destinations waits', async () => {
    await add({ kind: 'scheduler-delay', delay: 1, count: 1 });
    const start = Date.now();
    assert.equal((await boot('vm-slow')).status, 'ACTIVE');
    assert.ok(Date.now() - start >= 1000, 'the boot took at least the delay');
  });

  it('the CLI: nimbus fault add|list|clear', async () => {
    const lines: string[] = [];
    const errs: string[] = [];
    const io: Io = { out: (l) => lines.push(l), err: (l) => errs.push(l), env: cloud.env('admin') };
    const run = (...argv: string[]) => runOpsCommand('fault', OPS_COMMANDS.fault!, argv, io);
    assert.equal(await run('add', 'vif-plugged-delay', '--delay', '5', '--count', '2', '-f', 'json'), 0, errs.join('\n'));
    const added = JSON.parse(lines.join('\n'));
    assert.equal(added.kind, 'vif-plugged-delay');
    assert.deepEqual(added.params, { delay: 5 });
    lines.length = 0;
    assert.equal(await run('list'), 0);
    assert.match(lines.join('\n'), new RegExp(`\\| ${added.id} \\| vif-plugged-delay \\|`));
    lines.length = 0;
    assert.equal(await run('add', 'nonsense'), 1);
    assert.match(errs.join('\n'), /Invalid fault kind 'nonsense': must be one of agent-down/);
    assert.equal(await run('add'), 2);
    assert.equal(await run('clear', added.id), 0);
    assert.equal(await run('clear', added.id), 1);
    lines.length = 0;
    assert.equal(await run('list', '-f', 'json'), 0);
    assert.deepEqual(JSON.parse(lines.join('\n')), []);
    lines.length = 0;
    assert.equal(await run('--help'), 0);
    assert.match(lines.join('\n'), /usage: nimbus fault add KIND/);
  });
});
