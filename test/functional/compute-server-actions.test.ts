/**
 * Server actions over HTTP (POST /servers/{id}/action): the power operations through
 * their task states to the vm_state and power state nova ends in, with their instance
 * actions and compute events; each refusal with nova's status and text (invalid state,
 * locked, bad reboot type, unknown action, microversion); lock/unlock by owner and
 * admin; the console log; VIFs and port status left alone by power operations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Config, DeepPartial } from '../../src/common/config.js';
import { type TestCloud, inProcessCheck, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST: DeepPartial<Config> = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('compute: server actions', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown, mv = '2.92') =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': `compute ${mv}` });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const act = (user: 'admin' | 'demo', id: string, body: unknown, mv?: string) => nova(user, 'POST', `/servers/${id}/action`, body, mv);

  async function waitState(id: string, status: string, taskState: string | null = null) {
    return waitFor(`server ${id} ${status}`, async () => {
      const s = (await nova('admin', 'GET', `/servers/${id}`)).body.server;
      if (s?.status === 'ERROR' && status !== 'ERROR') throw new Error(`server went to ERROR: ${JSON.stringify(s.fault)}`);
      return s?.status === status && s['OS-EXT-STS:task_state'] === taskState ? s : undefined;
    });
  }

  async function boot(name: string): Promise<string> {
    const r = await nova('demo', 'POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    await waitState(r.body.server.id, 'ACTIVE');
    return r.body.server.id;
  }

  const conflict = (id: string, action: string, attr: string, state: string) => ({ conflictingRequest: { code: 409, message: `Cannot '${action}' instance ${id} while it is in ${attr} ${state}` } });

  let vm: string;
  before(async () => {
    cloud = await startTestCloud(FAST);
    netId = (await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } })).body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4, name: 'sub1' } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = await boot('vm1');
  });
  after(() => cloud?.stop());

  it('stop and start go through powering-off/on to SHUTOFF and ACTIVE, keeping the VIFs and port status', async (t) => {
    const before = (await neutron('admin', 'GET', `/ports?device_id=${vm}`)).body.ports[0];
    const host = (await nova('admin', 'GET', `/servers/${vm}`)).body.server['OS-EXT-SRV-ATTR:host'];
    const devices = () => cloud.hostnets.get(host).snapshot().links.map((l: { name: string }) => l.name).sort();
    let devsBefore: string[] = [];
    await inProcessCheck(t, 'reads the host devices', () => (devsBefore = devices()));
    const r = await act('demo', vm, { 'os-stop': null });
    assert.equal(r.status, 202);
    assert.equal(r.body, null);
    const stopped = await waitState(vm, 'SHUTOFF');
    assert.equal(stopped['OS-EXT-STS:vm_state'], 'stopped');
    assert.equal(stopped['OS-EXT-STS:power_state'], 4);
    // The boot's late port_update (over RabbitMQ it can come after the server is ACTIVE)
    // makes the agent fetch the port again: ACTIVE → BUILD → ACTIVE, as neutron's
    // get_device_details does. The stop must leave it as it was, once that settles.
    const port = await waitFor('the port ACTIVE', async () => {
      const p = (await neutron('admin', 'GET', `/ports/${before.id}`)).body.port;
      return p.status === before.status ? p : undefined;
    });
    assert.equal(port['binding:host_id'], host);
    await inProcessCheck(t, 'reads the host devices', () => assert.deepEqual(devices(), devsBefore));

    assert.deepEqual((await act('demo', vm, { 'os-stop': null })).body, conflict(vm, 'stop', 'vm_state', 'stopped'));
    assert.deepEqual((await act('demo', vm, { pause: null })).body, conflict(vm, 'pause', 'vm_state', 'stopped'));
    assert.deepEqual((await act('demo', vm, { reboot: { type: 'SOFT' } })).body, conflict(vm, 'reboot', 'vm_state', 'stopped'));

    assert.equal((await act('demo', vm, { 'os-start': null })).status, 202);
    const started = await waitState(vm, 'ACTIVE');
    assert.equal(started['OS-EXT-STS:power_state'], 1);
    assert.deepEqual((await act('demo', vm, { 'os-start': null })).body, conflict(vm, 'start', 'vm_state', 'active'));

    const actions = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions.map((a: { action: string }) => a.action);
    assert.deepEqual(actions.slice(0, 3), ['start', 'stop', 'create']);
    const stop = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[1];
    const detail = (await nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${stop.request_id}`)).body.instanceAction;
    assert.deepEqual(
      detail.events.map((e: { event: string; result: string }) => [e.event, e.result]),
      [['compute_stop_instance', 'Success']],
    );
  });

  it('reboot SOFT and HARD end ACTIVE; a bad type is a 400 with the schema text', async () => {
    assert.equal((await act('demo', vm, { reboot: { type: 'soft' } })).status, 202);
    await waitState(vm, 'ACTIVE');
    assert.equal((await act('demo', vm, { reboot: { type: 'HARD' } })).status, 202);
    await waitState(vm, 'ACTIVE');
    const bad = await act('demo', vm, { reboot: { type: 'WARM' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.badRequest.message, "Invalid input for field/attribute type. Value: WARM. 'WARM' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
    const missing = await act('demo', vm, { reboot: {} });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.badRequest.message, "Invalid input for field/attribute reboot. Value: {}. 'type' is a required property");
    const events = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions.slice(0, 2).map((a: { action: string }) => a.action);
    assert.deepEqual(events, ['reboot', 'reboot']);
  });

  it('pause/unpause and suspend/resume, each refused outside its vm_state', async () => {
    assert.deepEqual((await act('demo', vm, { unpause: null })).body, conflict(vm, 'unpause', 'vm_state', 'active'));
    assert.deepEqual((await act('demo', vm, { resume: null })).body, conflict(vm, 'resume', 'vm_state', 'active'));
    assert.equal((await act('demo', vm, { pause: null })).status, 202);
    const paused = await waitState(vm, 'PAUSED');
    assert.equal(paused['OS-EXT-STS:power_state'], 3);
    assert.deepEqual((await act('demo', vm, { suspend: null })).body, conflict(vm, 'suspend', 'vm_state', 'paused'));
    assert.deepEqual((await act('demo', vm, { 'os-stop': null })).body, conflict(vm, 'stop', 'vm_state', 'paused'));
    assert.equal((await act('demo', vm, { unpause: null })).status, 202);
    await waitState(vm, 'ACTIVE');
    assert.equal((await act('demo', vm, { suspend: null })).status, 202);
    const suspended = await waitState(vm, 'SUSPENDED');
    assert.equal(suspended['OS-EXT-STS:power_state'], 4);
    assert.equal((await act('demo', vm, { resume: null })).status, 202);
    const resumed = await waitState(vm, 'ACTIVE');
    assert.equal(resumed['OS-EXT-STS:power_state'], 1);
  });

  it('an action right after another sees its task state or its end state (409)', async () => {
    assert.equal((await act('demo', vm, { pause: null })).status, 202);
    const again = await act('demo', vm, { pause: null });
    assert.equal(again.status, 409);
    assert.ok([conflict(vm, 'pause', 'task_state', 'pausing'), conflict(vm, 'pause', 'vm_state', 'paused')].some((c) => JSON.stringify(c) === JSON.stringify(again.body)), JSON.stringify(again.body));
    await waitState(vm, 'PAUSED');
    assert.equal((await act('demo', vm, { unpause: null })).status, 202);
    await waitState(vm, 'ACTIVE');
  });

  it('lock: a member gets 409 "is locked" on guarded actions, an admin may act; reason at 2.73; unlock rules', async () => {
    assert.equal((await act('demo', vm, { lock: { locked_reason: 'maintenance' } })).status, 202);
    let s = (await nova('demo', 'GET', `/servers/${vm}`)).body.server;
    assert.equal(s.locked, true);
    assert.equal(s.locked_reason, 'maintenance');
    const refused = await act('demo', vm, { 'os-stop': null });
    assert.equal(refused.status, 409);
    assert.deepEqual(refused.body, { conflictingRequest: { code: 409, message: `Instance ${vm} is locked` } });
    assert.equal((await act('demo', vm, { reboot: { type: 'HARD' } })).body.conflictingRequest.message, `Instance ${vm} is locked`);
    assert.equal((await nova('demo', 'DELETE', `/servers/${vm}`)).status, 409);
    // The owner locking again changes nothing and records nothing.
    const before = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions.length;
    assert.equal((await act('demo', vm, { lock: null })).status, 202);
    assert.equal((await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions.length, before);
    // An admin acts on a locked server.
    assert.equal((await act('admin', vm, { reboot: { type: 'SOFT' } })).status, 202);
    await waitState(vm, 'ACTIVE');
    assert.equal((await act('demo', vm, { unlock: null })).status, 202);
    s = (await nova('demo', 'GET', `/servers/${vm}`)).body.server;
    assert.equal(s.locked, false);
    assert.equal(s.locked_reason, null);

    // Locked by an admin (another project): the owner may not unlock.
    assert.equal((await act('admin', vm, { lock: null })).status, 202);
    const denied = await act('demo', vm, { unlock: null });
    assert.equal(denied.status, 403);
    assert.equal(denied.body.forbidden.message, "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.");
    assert.equal((await act('admin', vm, { unlock: null })).status, 202);
    const lock = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[0];
    assert.equal(lock.action, 'unlock');
    const ev = (await nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${lock.request_id}`)).body.instanceAction.events;
    assert.deepEqual(ev.map((e: { event: string }) => e.event), ['api_unlock']);

    const badReason = await act('demo', vm, { lock: { locked_reason: '' } });
    assert.equal(badReason.status, 400);
    // Before 2.73 the body is not validated and no reason is kept.
    assert.equal((await act('demo', vm, { lock: { locked_reason: 'x', other: 1 } }, '2.72')).status, 202);
    s = (await nova('demo', 'GET', `/servers/${vm}`)).body.server;
    assert.equal(s.locked_reason, null);
    assert.equal((await act('demo', vm, { unlock: null })).status, 202);
  });

  it('console output: the guest log, its tail with length; trigger_crash_dump at 2.17', async () => {
    const all = await act('demo', vm, { 'os-getConsoleOutput': {} });
    assert.equal(all.status, 200);
    assert.match(all.body.output, /login: /);
    const tail = await act('demo', vm, { 'os-getConsoleOutput': { length: 2 } });
    assert.equal(tail.body.output.split('\n').length, 2);
    assert.equal((await act('demo', vm, { 'os-getConsoleOutput': { length: '0' } })).body.output, '');
    const bad = await act('demo', vm, { 'os-getConsoleOutput': { length: 'x' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.badRequest.message, "Invalid input for field/attribute length. Value: x. 'x' does not match '^-?[0-9]+$'");

    assert.equal((await act('demo', vm, { trigger_crash_dump: null }, '2.16')).status, 404);
    assert.equal((await act('demo', vm, { trigger_crash_dump: null })).status, 202);
    await waitFor('crash dump in the log', async () => (/NMI/.test((await act('demo', vm, { 'os-getConsoleOutput': { length: 5 } })).body.output) ? true : undefined));
  });

  it('GET /servers/{id}/diagnostics: the fake driver\'s counters, the 2.48 view, admin only, 409 when not running (was 404; gophercloud TestDiagnostics)', async () => {
    const id = await boot('diag');
    const old = await nova('admin', 'GET', `/servers/${id}/diagnostics`, undefined, '2.47');
    assert.equal(old.status, 200);
    assert.equal(old.body.memory, 524288);
    assert.equal(old.body.cpu0_time, 17300000000);
    const v248 = (await nova('admin', 'GET', `/servers/${id}/diagnostics`, undefined, '2.48')).body;
    assert.deepEqual(Object.keys(v248), ['state', 'driver', 'hypervisor', 'hypervisor_os', 'uptime', 'config_drive', 'num_cpus', 'num_nics', 'num_disks', 'disk_details', 'cpu_details', 'nic_details', 'memory_details']);
    assert.deepEqual(v248.memory_details, { maximum: 524288, used: 0 });
    assert.deepEqual(v248.cpu_details, [{ id: 0, time: 17300000000, utilisation: 15 }]);
    const member = await nova('demo', 'GET', `/servers/${id}/diagnostics`);
    assert.deepEqual(member.body, { forbidden: { code: 403, message: "Policy doesn't allow os_compute_api:os-server-diagnostics to be performed." } });
    await act('demo', id, { 'os-stop': null });
    await waitState(id, 'SHUTOFF');
    const stopped = await nova('admin', 'GET', `/servers/${id}/diagnostics`);
    assert.deepEqual(stopped.body, conflict(id, 'get_diagnostics', 'power state', 'shutdown'));
    assert.equal((await nova('admin', 'DELETE', `/servers/${id}`)).status, 204);
  });

  it('rescue / unrescue: RESCUE with an adminPass (200), back to ACTIVE; refusals in nova\'s words (was "no such action"; gophercloud TestServerRescueUnrescue)', async () => {
    const id = await boot('resc');
    const r = await act('demo', id, { rescue: { adminPass: 'pw1' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, { adminPass: 'pw1' });
    const rescued = await waitState(id, 'RESCUE');
    assert.equal(rescued['OS-EXT-STS:vm_state'], 'rescued');
    assert.equal(rescued['OS-EXT-STS:power_state'], 1);
    assert.deepEqual((await act('demo', id, { rescue: null })).body, conflict(id, 'rescue', 'vm_state', 'rescued'));
    assert.deepEqual((await nova('demo', 'GET', '/servers?status=RESCUE')).body.servers.map((s: { id: string }) => s.id), [id]);
    assert.equal((await act('demo', id, { unrescue: null })).status, 202);
    await waitState(id, 'ACTIVE');
    assert.deepEqual((await act('demo', id, { unrescue: null })).body, conflict(id, 'unrescue', 'vm_state', 'active'));
    const generated = await act('demo', id, { rescue: null });
    assert.match(generated.body.adminPass, /^[A-Za-z0-9]{12}$/);
    await waitState(id, 'RESCUE');
    await act('demo', id, { unrescue: null });
    await waitState(id, 'ACTIVE');
    const bad = await act('demo', id, { rescue: { rescue_image_ref: 'nope' } });
    assert.equal(bad.status, 400);
    const actions = (await nova('demo', 'GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.map((a: { action: string }) => a.action);
    assert.deepEqual(actions.slice(0, 4), ['unrescue', 'rescue', 'unrescue', 'rescue']);
    assert.equal((await nova('admin', 'DELETE', `/servers/${id}`)).status, 204);
  });

  it('unknown actions, malformed bodies, other projects and crash dump of a stopped server', async () => {
    const unknown = await act('demo', vm, { frobnicate: null });
    assert.deepEqual(unknown.body, { badRequest: { code: 400, message: 'There is no such action: frobnicate' } });
    const two = await act('demo', vm, { pause: null, unpause: null });
    assert.deepEqual(two.body, { badRequest: { code: 400, message: 'Malformed request body' } });
    const missing = await act('demo', '6d0f1b0c-9d56-4bd8-9f3c-0123456789ab', { pause: null });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.itemNotFound.message, 'Instance 6d0f1b0c-9d56-4bd8-9f3c-0123456789ab could not be found.');

    assert.equal((await act('demo', vm, { 'os-stop': null })).status, 202);
    await waitState(vm, 'SHUTOFF');
    assert.deepEqual((await act('demo', vm, { trigger_crash_dump: null })).body, conflict(vm, 'trigger_crash_dump', 'vm_state', 'stopped'));
    // A hard reboot starts a stopped server.
    assert.equal((await act('demo', vm, { reboot: { type: 'HARD' } })).status, 202);
    await waitState(vm, 'ACTIVE');
  });

  it('addSecurityGroup / removeSecurityGroup update the ports in neutron, with nova texts for each refusal', async () => {
    const sg = (await neutron('demo', 'POST', '/security-groups', { security_group: { name: 'web' } })).body.security_group;
    const port = () => neutron('demo', 'GET', `/ports?device_id=${vm}`).then((r) => r.body.ports[0]);
    const defaultId = (await port()).security_groups[0];
    assert.equal((await act('demo', vm, { addSecurityGroup: { name: 'web' } })).status, 202);
    assert.deepEqual((await port()).security_groups.sort(), [defaultId, sg.id].sort());
    const shown = (await nova('demo', 'GET', `/servers/${vm}`)).body.server.security_groups.map((g: { name: string }) => g.name);
    assert.deepEqual(shown, ['default', 'web']);

    const ghost = await act('demo', vm, { addSecurityGroup: { name: 'ghost' } });
    assert.equal(ghost.status, 404);
    const project = (await nova('demo', 'GET', `/servers/${vm}`)).body.server.tenant_id;
    assert.equal(ghost.body.itemNotFound.message, `Security group ghost is not found for project ${project}`);
    assert.equal((await act('demo', vm, { addSecurityGroup: null })).body.badRequest.message, 'Missing parameter dict');
    assert.equal((await act('demo', vm, { addSecurityGroup: {} })).body.badRequest.message, 'Security group not specified');
    assert.equal((await act('demo', vm, { addSecurityGroup: { name: ' ' } })).body.badRequest.message, 'Security group name cannot be empty');

    assert.equal((await act('demo', vm, { removeSecurityGroup: { name: sg.id } })).status, 202);
    assert.deepEqual((await port()).security_groups, [defaultId]);
    const notThere = await act('demo', vm, { removeSecurityGroup: { name: 'web' } });
    assert.equal(notThere.status, 404);
    assert.equal(notThere.body.itemNotFound.message, `Security group web not associated with the instance ${vm}`);

    await neutron('demo', 'POST', '/security-groups', { security_group: { name: 'twin' } });
    await neutron('demo', 'POST', '/security-groups', { security_group: { name: 'twin' } });
    const twin = await act('demo', vm, { addSecurityGroup: { name: 'twin' } });
    assert.equal(twin.status, 409);
    assert.equal(twin.body.conflictingRequest.message, "Multiple security_group matches found for name 'twin', use an ID to be more specific.");
  });

  it('createImage snapshots into glance: Location before 2.45, {image_id} from 2.45, the image active with nova properties', async () => {
    const old = await act('demo', vm, { createImage: { name: 'snap1', metadata: { purpose: 'test' } } }, '2.44');
    assert.equal(old.status, 202);
    assert.equal(old.body, null);
    const location = old.headers.get('location')!;
    assert.match(location, new RegExp(`^${cloud.urls.image.replace(/\/$/, '')}/images/[0-9a-f-]{36}$`));
    const id = location.split('/').pop()!;
    const image = await waitFor('snapshot active', async () => {
      const r = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images/${id}`);
      return r.body.status === 'active' ? r.body : undefined;
    });
    await waitState(vm, 'ACTIVE');
    assert.equal(image.name, 'snap1');
    assert.equal(image.visibility, 'private');
    assert.equal(image.disk_format, 'qcow2');
    assert.equal(image.container_format, 'bare');
    assert.equal(image.image_type, 'snapshot');
    assert.equal(image.instance_uuid, vm);
    assert.equal(image.base_image_ref, imageId);
    assert.equal(image.purpose, 'test');
    assert.equal(image.min_disk, 1);
    assert.ok(image.size > 0);
    const actions = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions;
    assert.equal(actions[0].action, 'createImage');
    const ev = (await nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${actions[0].request_id}`)).body.instanceAction.events;
    assert.deepEqual(ev.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_snapshot_instance', 'Success']]);

    const now = await act('demo', vm, { createImage: { name: 'snap2' } });
    assert.equal(now.status, 202);
    assert.match(now.body.image_id, /^[0-9a-f-]{36}$/);
    assert.equal(now.headers.get('location'), null);
    await waitFor('snap2 active', async () => ((await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images/${now.body.image_id}`)).body.status === 'active' ? true : undefined));
    await waitState(vm, 'ACTIVE');
    const noName = await act('demo', vm, { createImage: {} });
    assert.equal(noName.status, 400);
    assert.equal(noName.body.badRequest.message, "Invalid input for field/attribute createImage. Value: {}. 'name' is a required property");
  });

  it('createBackup: backups typed image_type=backup, rotation keeps the newest, Location only when kept; refusals', async () => {
    const backups = async (type: string, user: 'admin' | 'demo' = 'demo') =>
      (await cloud.api(user, 'GET', `${cloud.urls.image}/v2/images?image_type=backup&backup_type=${type}&instance_uuid=${vm}&sort_key=created_at&sort_dir=asc`)).body.images.map((i: { name: string }) => i.name);
    const backup = async (name: string, rotation: number | string, mv?: string) => {
      const r = await act('demo', vm, { createBackup: { name, backup_type: 'daily', rotation, metadata: { purpose: 'b' } } }, mv);
      assert.equal(r.status, 202, JSON.stringify(r.body));
      await waitState(vm, 'ACTIVE');
      return r;
    };
    const first = await backup('b1', 2, '2.44');
    const location = first.headers.get('location')!;
    assert.match(location, /\/images\/[0-9a-f-]{36}$/);
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images/${location.split('/').pop()}`)).body;
    assert.equal(image.status, 'active');
    assert.equal(image.image_type, 'backup');
    assert.equal(image.backup_type, 'daily');
    assert.equal(image.instance_uuid, vm);
    assert.equal(image.purpose, 'b');
    const actions = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions;
    assert.equal(actions[0].action, 'createBackup');
    const ev = (await nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${actions[0].request_id}`)).body.instanceAction.events;
    assert.deepEqual(ev.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_backup_instance', 'Success']]);

    assert.match((await backup('b2', '2')).body.image_id, /^[0-9a-f-]{36}$/);
    await backup('b3', 2);
    // As in nova, the task state clears when the upload ends and the rotation runs after it,
    // so the old backups go a moment after the server is ACTIVE again.
    const rotatedTo = (want: string[]) => waitFor(`daily backups ${want}`, async () => (JSON.stringify(await backups('daily')) === JSON.stringify(want) ? true : undefined));
    await rotatedTo(['b2', 'b3']);
    // rotation 0: the new backup is made, then rotated out with the others; no Location.
    const zero = await backup('b4', 0, '2.44');
    assert.equal(zero.headers.get('location'), null);
    await rotatedTo([]);

    const missing = await act('demo', vm, { createBackup: { name: 'x', backup_type: 'daily' } });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.badRequest.message, "Invalid input for field/attribute createBackup. Value: {'name': 'x', 'backup_type': 'daily'}. 'rotation' is a required property");
    const negative = await act('demo', vm, { createBackup: { name: 'x', backup_type: 'daily', rotation: -1 } });
    assert.equal(negative.status, 400);
    const other = await act('admin', vm, { createBackup: { name: 'x', backup_type: 'weekly', rotation: 1 } });
    assert.equal(other.status, 202, 'an admin may back up any server');
    await waitState(vm, 'ACTIVE');
    assert.deepEqual(await backups('weekly', 'admin'), ['x'], "the admin's backup of the demo server, in the admin's project");
  });

  it('OS-DCF:diskConfig: AUTO or MANUAL on boot and rebuild, the image default, and an image that disables AUTO', async () => {
    const image = async (props: Record<string, string>) => {
      const made = (await cloud.api('admin', 'POST', `${cloud.urls.image}/v2/images`, { name: `adc-${Object.values(props).join('')}`, disk_format: 'raw', container_format: 'bare', visibility: 'public', ...props })).body;
      await cloud.api('admin', 'PUT', `${cloud.urls.image}/v2/images/${made.id}/file`, 'disk', { 'content-type': 'application/octet-stream' });
      return made.id as string;
    };
    const disabled = await image({ auto_disk_config: 'Disabled' });
    const autoByDefault = await image({ auto_disk_config: 'True' });
    const create = (ref: string, diskConfig?: string) =>
      nova('demo', 'POST', '/servers', { server: { name: 'adc', flavorRef: '100', imageRef: ref, networks: [{ uuid: netId }], ...(diskConfig ? { 'OS-DCF:diskConfig': diskConfig } : {}) } });
    const shown = async (id: string) => (await nova('demo', 'GET', `/servers/${id}`)).body.server['OS-DCF:diskConfig'];

    const auto = await create(imageId, 'AUTO');
    assert.equal(auto.status, 202);
    assert.equal(auto.body.server['OS-DCF:diskConfig'], 'AUTO');
    await waitState(auto.body.server.id, 'ACTIVE');
    assert.equal(await shown(auto.body.server.id), 'AUTO');
    const refused = await create(disabled, 'AUTO');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.badRequest.message, `Requested image ${disabled} has automatic disk resize disabled.`);
    const manual = await create(disabled);
    assert.equal(manual.status, 202);
    assert.equal(manual.body.server['OS-DCF:diskConfig'], 'MANUAL');
    const inherited = await create(autoByDefault);
    assert.equal(inherited.body.server['OS-DCF:diskConfig'], 'AUTO', "no request: the image's auto_disk_config");
    await waitState(inherited.body.server.id, 'ACTIVE');

    // rebuild: the request wins; without one the new image decides.
    const id = auto.body.server.id;
    const rebuilt = await act('demo', id, { rebuild: { imageRef: imageId, 'OS-DCF:diskConfig': 'MANUAL' } });
    assert.equal(rebuilt.body.server['OS-DCF:diskConfig'], 'MANUAL');
    await waitState(id, 'ACTIVE');
    assert.equal((await act('demo', id, { rebuild: { imageRef: autoByDefault } })).body.server['OS-DCF:diskConfig'], 'AUTO');
    await waitState(id, 'ACTIVE');
    const noAuto = await act('demo', id, { rebuild: { imageRef: disabled, 'OS-DCF:diskConfig': 'AUTO' } });
    assert.equal(noAuto.status, 400);
    assert.equal(noAuto.body.badRequest.message, `Requested image ${disabled} has automatic disk resize disabled.`);
    assert.equal(await shown(id), 'AUTO', 'a refused rebuild changes nothing');
    const bad = await create(imageId, 'SOMETIMES');
    assert.equal(bad.status, 400);
    // PUT /servers/{id} sets it as asked (nova's update does no image check).
    const put = await nova('demo', 'PUT', `/servers/${manual.body.server.id}`, { server: { 'OS-DCF:diskConfig': 'AUTO' } });
    assert.equal(put.status, 200);
    assert.equal(put.body.server['OS-DCF:diskConfig'], 'AUTO');
    assert.equal(await shown(manual.body.server.id), 'AUTO');
    for (const s of [id, manual.body.server.id, inherited.body.server.id]) await nova('demo', 'DELETE', `/servers/${s}`);
  });

  it('rebuild: the image on the same ports and addresses, re-plugged; name, metadata, user_data, adminPass; refusals', async (t) => {
    const before = (await neutron('admin', 'GET', `/ports?device_id=${vm}`)).body.ports[0];
    const launched = (await nova('demo', 'GET', `/servers/${vm}`)).body.server['OS-SRV-USG:launched_at'];
    const r = await act('demo', vm, { rebuild: { imageRef: imageId, name: 'vm1b', metadata: { role: 'web' }, adminPass: 'secret1', user_data: 'IyEvYmluL3NoCg==' } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    assert.equal(r.body.server.adminPass, 'secret1');
    assert.equal(r.body.server.name, 'vm1b');
    assert.deepEqual(r.body.server.metadata, { role: 'web' });
    assert.equal(r.body.server.user_data, 'IyEvYmluL3NoCg==');
    assert.equal(r.body.server.status, 'REBUILD');
    const s = await waitState(vm, 'ACTIVE');
    // launched_at has nova's second resolution: a rebuild within the boot's second keeps it.
    assert.ok(s['OS-SRV-USG:launched_at'] >= launched, `${s['OS-SRV-USG:launched_at']} < ${launched}`);
    const after = (await neutron('admin', 'GET', `/ports?device_id=${vm}`)).body.ports;
    assert.equal(after.length, 1);
    assert.equal(after[0].id, before.id);
    assert.deepEqual(after[0].fixed_ips, before.fixed_ips);
    await waitFor('port ACTIVE again', async () => ((await neutron('admin', 'GET', `/ports/${before.id}`)).body.port.status === 'ACTIVE' ? true : undefined));
    const host = s['OS-EXT-SRV-ATTR:host'];
    await inProcessCheck(t, 'reads the host devices', () =>
      assert.ok(cloud.hostnets.get(host).snapshot().links.some((l: { name: string }) => l.name === `qvo${before.id.slice(0, 11)}`)),
    );
    const actions = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions;
    assert.equal(actions[0].action, 'rebuild');
    const ev = (await nova('admin', 'GET', `/servers/${vm}/os-instance-actions/${actions[0].request_id}`)).body.instanceAction.events;
    assert.deepEqual(ev.map((e: { event: string; result: string }) => [e.event, e.result]), [['compute_rebuild_instance', 'Success']]);

    // An admin's 2.75 rebuild answer has user_data once, as `user_data` (regression: Tempest's
    // ServersAdmin275Test schema refused OS-EXT-SRV-ATTR:user_data there).
    const admin = await act('admin', vm, { rebuild: { imageRef: imageId } }, '2.75');
    assert.equal(admin.status, 202, JSON.stringify(admin.body));
    assert.equal(admin.body.server['OS-EXT-SRV-ATTR:user_data'], undefined);
    assert.equal(admin.body.server.user_data, 'IyEvYmluL3NoCg==');
    assert.equal(admin.body.server['OS-EXT-SRV-ATTR:host'] !== undefined, true);
    await waitState(vm, 'ACTIVE');

    // At 2.1 the response leaves the extended attributes out.
    const legacy = await act('demo', vm, { rebuild: { imageRef: imageId } }, '2.1');
    assert.equal(legacy.status, 202);
    assert.equal(legacy.body.server['OS-EXT-STS:vm_state'], undefined);
    assert.equal(typeof legacy.body.server.adminPass, 'string');
    await waitState(vm, 'ACTIVE');

    assert.equal((await act('demo', vm, { rebuild: { imageRef: 'nope' } })).body.badRequest.message, 'Invalid imageRef provided.');
    assert.equal((await act('demo', vm, { rebuild: { imageRef: '6d0f1b0c-9d56-4bd8-9f3c-0123456789ab' } })).body.badRequest.message, 'Cannot find image for rebuild');
    assert.equal((await act('demo', vm, { rebuild: { imageRef: imageId, key_name: 'nokey' } })).body.badRequest.message, 'Invalid key_name provided.');
    assert.equal((await act('demo', vm, { rebuild: {} })).body.badRequest.message, "Invalid input for field/attribute rebuild. Value: {}. 'imageRef' is a required property");

    // A stopped server is rebuilt and stopped again.
    assert.equal((await act('demo', vm, { 'os-stop': null })).status, 202);
    await waitState(vm, 'SHUTOFF');
    assert.equal((await act('demo', vm, { rebuild: { imageRef: imageId } })).status, 202);
    await waitFor('rebuilt and stopped', async () => {
      const x = (await nova('demo', 'GET', `/servers/${vm}`)).body.server;
      const done = (await nova('demo', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[0];
      return x.status === 'SHUTOFF' && x['OS-EXT-STS:task_state'] === null && done.action === 'rebuild' ? true : undefined;
    });
    assert.equal((await act('demo', vm, { 'os-start': null })).status, 202);
    await waitState(vm, 'ACTIVE');
  });

  it('os-resetState: admins set active or error (recorded, task state cleared); members 403; other states 400', async () => {
    const member = await act('demo', vm, { 'os-resetState': { state: 'error' } });
    assert.equal(member.status, 403);
    assert.equal(member.body.forbidden.message, "Policy doesn't allow os_compute_api:os-admin-actions:reset_state to be performed.");
    const bad = await act('admin', vm, { 'os-resetState': { state: 'paused' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.badRequest.message, /^Invalid input for field\/attribute state\. Value: paused\. 'paused' is not one of \['active', 'error'\]/);
    assert.equal((await act('admin', vm, { 'os-resetState': { state: 'error' } })).status, 202);
    const s = (await nova('admin', 'GET', `/servers/${vm}`)).body.server;
    assert.deepEqual([s.status, s['OS-EXT-STS:vm_state'], s['OS-EXT-STS:task_state']], ['ERROR', 'error', null]);
    assert.equal((await nova('admin', 'GET', `/servers/${vm}/os-instance-actions`)).body.instanceActions[0].action, 'resetState');
    assert.equal((await act('admin', vm, { 'os-resetState': { state: 'active' } })).status, 202);
    assert.equal((await nova('admin', 'GET', `/servers/${vm}`)).body.server.status, 'ACTIVE');
  });

  it('restore without reclaim_instance_interval: the server was never soft-deleted (409)', async () => {
    assert.deepEqual((await act('demo', vm, { restore: null })).body, conflict(vm, 'restore', 'vm_state', 'active'));
  });
});

describe('compute: soft delete with reclaim_instance_interval', () => {
  let cloud: TestCloud;
  let netId: string;
  let imageId: string;
  const nova = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const server = async (id: string) => (await nova('GET', `/servers/${id}`)).body.server;
  const waitStatus = (id: string, status: string) => waitFor(`${id} ${status}`, async () => ((await server(id))?.status === status && (await server(id))['OS-EXT-STS:task_state'] === null ? true : undefined));
  const gone = (id: string) => waitFor(`${id} gone`, async () => ((await nova('GET', `/servers/${id}`)).status === 404 ? true : undefined));

  before(async () => {
    cloud = await startTestCloud({ ...FAST, compute: { reclaim_instance_interval: 2 } });
    netId = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '1.2.3.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
  });
  after(() => cloud?.stop());

  async function boot(name: string) {
    const id = (await nova('POST', '/servers', { server: { name, flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } })).body.server.id;
    await waitStatus(id, 'ACTIVE');
    return id;
  }

  it('a delete soft-deletes; restore brings the server back; a second restore is refused', async () => {
    const id = await boot('soft1');
    assert.equal((await nova('DELETE', `/servers/${id}`)).status, 204);
    await waitStatus(id, 'SOFT_DELETED');
    const s = await server(id);
    assert.equal(s['OS-EXT-STS:vm_state'], 'soft_deleted');
    assert.equal(s['OS-EXT-STS:power_state'], 4);
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${id}`)).body.ports.length, 1);
    assert.equal((await nova('POST', `/servers/${id}/action`, { restore: null })).status, 202);
    await waitStatus(id, 'ACTIVE');
    assert.equal((await server(id))['OS-EXT-STS:power_state'], 1);
    const again = await nova('POST', `/servers/${id}/action`, { restore: null });
    assert.deepEqual(again.body, { conflictingRequest: { code: 409, message: `Cannot 'restore' instance ${id} while it is in vm_state active` } });
    const actions = (await nova('GET', `/servers/${id}/os-instance-actions`)).body.instanceActions.map((a: { action: string }) => a.action);
    assert.deepEqual(actions, ['restore', 'delete', 'create']);
    assert.equal((await nova('POST', `/servers/${id}/action`, { forceDelete: null })).status, 202);
    await gone(id);
  });

  it('forceDelete deletes a soft-deleted server at once; the periodic task reclaims the others', async () => {
    const a = await boot('soft2');
    const b = await boot('soft3');
    await nova('DELETE', `/servers/${a}`);
    await nova('DELETE', `/servers/${b}`);
    await waitStatus(a, 'SOFT_DELETED');
    assert.equal((await nova('POST', `/servers/${a}/action`, { forceDelete: null })).status, 202);
    await gone(a);
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${a}`)).body.ports.length, 0);
    await gone(b);
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/ports?device_id=${b}`)).body.ports.length, 0);
  });
});
