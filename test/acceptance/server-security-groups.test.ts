/**
 * Acceptance (issue 9): `openstack server add security group` / `server remove security
 * group` and novaclient's `add-secgroup` / `remove-secgroup` change the security groups
 * of the server's ports in neutron (seen with `openstack port show`), and `openstack
 * server show` lists them.
 *
 * OSC 6.0 looks the group up through nova's os-security-groups proxy at its default
 * microversion (2.1): GET /os-security-groups/<value>, which nova answers 400 "Security
 * group id should be uuid" for a name; OSC then lists the proxy and matches by name, and
 * posts addSecurityGroup with the group's id. novaclient posts the name as given.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, nova, novaMissing, OPENSTACK, os, osJson, waitFor } from './helpers.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 } };

describe('acceptance: server add/remove security group (openstack, nova)', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let vm: string;
  let web: string;
  let db: string;
  const net = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.network}/v2.0${path}`, body);
  const api = (method: string, path: string, body?: unknown) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, body);
  /** Group ids of the server's one port, as `openstack port show` prints them. */
  const portGroups = async (): Promise<string[]> => {
    const [port] = await osJson(cloud, 'demo', 'port', 'list', '--server', 'vm1');
    return (await osJson(cloud, 'demo', 'port', 'show', port.ID)).security_group_ids.slice().sort();
  };
  /** Group names `openstack server show` prints. */
  const shownGroups = async (): Promise<string[]> =>
    (await osJson(cloud, 'demo', 'server', 'show', 'vm1')).security_groups.map((g: { name: string }) => g.name).sort();

  before(async () => {
    cloud = await startTestCloud(FAST);
    const n = (await net('POST', '/networks', { network: { name: 'net1' } })).body.network;
    await net('POST', '/subnets', { subnet: { network_id: n.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    web = (await net('POST', '/security-groups', { security_group: { name: 'web' } })).body.security_group.id;
    db = (await net('POST', '/security-groups', { security_group: { name: 'db' } })).body.security_group.id;
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    vm = (await api('POST', '/servers', { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: n.id }] } })).body.server.id;
    await waitFor('vm1 ACTIVE', async () => ((await api('GET', `/servers/${vm}`)).body.server.status === 'ACTIVE' ? true : undefined));
  });
  after(() => cloud?.stop());

  const defaultId = async () => (await net('GET', '/security-groups?name=default')).body.security_groups[0].id as string;

  test('openstack server add / remove security group <id>: the port in neutron and server show follow', async () => {
    const dflt = await defaultId();
    assert.deepEqual(await portGroups(), [dflt]);
    assert.equal(await os(cloud, 'demo', 'server', 'add', 'security', 'group', 'vm1', web), '');
    assert.deepEqual(await portGroups(), [dflt, web].sort());
    assert.deepEqual(await shownGroups(), ['default', 'web']);
    assert.equal(await os(cloud, 'demo', 'server', 'remove', 'security', 'group', 'vm1', web), '');
    assert.deepEqual(await portGroups(), [dflt]);
    assert.deepEqual(await shownGroups(), ['default']);
  });

  test('openstack server add / remove security group <name>: the proxy answers 400 to a name, OSC then lists', async () => {
    const dflt = await defaultId();
    assert.equal(await os(cloud, 'demo', 'server', 'add', 'security', 'group', 'vm1', 'web'), '');
    assert.deepEqual(await portGroups(), [dflt, web].sort());
    assert.equal(await os(cloud, 'demo', 'server', 'remove', 'security', 'group', 'vm1', 'web'), '');
    assert.deepEqual(await portGroups(), [dflt]);
  });

  test('openstack server add security group: an unknown group is not found (OSC find_one text)', async () => {
    const r = await cli(cloud, 'demo', OPENSTACK, ['server', 'add', 'security', 'group', 'vm1', '00000000-0000-0000-0000-000000000000']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'none found (HTTP 404)\n');
    assert.deepEqual(await shownGroups(), ['default']);
  });

  test('nova add-secgroup / remove-secgroup by name: the port in neutron and server show follow', async () => {
    const dflt = await defaultId();
    assert.equal(await nova(cloud, 'demo', 'add-secgroup', 'vm1', 'db'), '');
    assert.deepEqual(await portGroups(), [dflt, db].sort());
    assert.deepEqual(await shownGroups(), ['db', 'default']);
    assert.equal(await nova(cloud, 'demo', 'remove-secgroup', 'vm1', 'db'), '');
    assert.deepEqual(await portGroups(), [dflt]);
    // Removing one the server does not have: remove_from_instance's SecurityGroupNotFound, 404.
    const gone = await cli(cloud, 'demo', '/usr/bin/nova', ['remove-secgroup', 'vm1', 'db']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, new RegExp(`Security group db not associated with the instance ${vm} \\(HTTP 404\\)`));
  });

  test('nova list-secgroup lists the server groups', async () => {
    const out = await nova(cloud, 'demo', 'list-secgroup', 'vm1');
    assert.match(out, /\| [0-9a-f-]{36} \| default \| Default security group \|/);
  });
});
