/**
 * The metadata service over HTTP (issue 9 PX): nova-api-metadata's EC2 and OpenStack
 * trees for a booted instance, found through neutron's metadata proxy headers
 * (X-Instance-ID + X-Tenant-ID + HMAC signature) or by the caller's fixed IP
 * (X-Forwarded-For), with webob's error pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { instanceIdSignature } from '../../src/compute/metadata/handler.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const SECRET = 's3cret';
const USER_DATA = '#cloud-config\nhostname: vm1\n';

describe('metadata service', () => {
  let cloud: TestCloud;
  let server: any;
  let netId: string;
  let ip: string;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${cloud.urls.metadata}${path}`, { headers });
    return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
  };
  const proxied = (path: string, extra: Record<string, string> = {}) =>
    get(path, { 'x-instance-id': server.id, 'x-tenant-id': server.tenant_id, 'x-instance-id-signature': instanceIdSignature(SECRET, server.id), accept: 'text/plain', ...extra });

  before(async () => {
    cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 }, metadata: { metadata_proxy_shared_secret: SECRET } });
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } });
    netId = net.body.network.id;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: netId, cidr: '10.5.0.0/24', ip_version: 4, dns_nameservers: ['10.5.0.53'] } });
    const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
    const r = await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, {
      server: { name: 'vm1', flavorRef: '100', imageRef: images.body.images[0].id, networks: [{ uuid: netId }], user_data: Buffer.from(USER_DATA).toString('base64'), metadata: { role: 'web' } },
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    server = await waitFor('ACTIVE', async () => {
      const s = (await cloud.api('demo', 'GET', `${cloud.urls.compute}/v2.1/servers/${r.body.server.id}`)).body.server;
      return s?.status === 'ACTIVE' ? s : undefined;
    });
    ip = server.addresses.net1[0].addr;
  });
  after(() => cloud?.stop());

  it('/ lists the EC2 versions without asking who calls', async () => {
    const r = await get('/');
    assert.equal(r.status, 200);
    assert.equal(r.text, '1.0\n2007-01-19\n2007-03-01\n2007-08-29\n2007-10-10\n2007-12-15\n2008-02-01\n2008-09-01\n2009-04-04\nlatest');
  });

  it('OpenStack tree behind the proxy: versions, meta_data.json, user_data, network_data.json, vendor data', async () => {
    const versions = await proxied('/openstack');
    assert.equal(versions.text.split('\n').at(-1), 'latest');
    assert.ok(versions.text.startsWith('2012-08-10\n2013-04-04'));
    assert.equal((await proxied('/openstack/latest')).text, 'meta_data.json\nuser_data\npassword\nvendor_data.json\nnetwork_data.json\nvendor_data2.json');
    const md = await proxied('/openstack/latest/meta_data.json');
    assert.equal(md.type, 'application/json');
    const j = JSON.parse(md.text);
    assert.deepEqual(Object.keys(j), ['uuid', 'meta', 'hostname', 'name', 'launch_index', 'availability_zone', 'random_seed', 'project_id', 'devices', 'dedicated_cpus']);
    assert.equal(j.uuid, server.id);
    assert.deepEqual(j.meta, { role: 'web' });
    assert.equal(j.hostname, 'vm1.novalocal');
    assert.equal(j.name, 'vm1');
    assert.equal(j.project_id, server.tenant_id);
    assert.equal(Buffer.from(j.random_seed, 'base64').length, 512);
    const old = JSON.parse((await proxied('/openstack/2012-08-10/meta_data.json')).text);
    assert.equal(old.random_seed, undefined);
    assert.equal((await proxied('/openstack/latest/user_data')).text, USER_DATA);
    const nd = JSON.parse((await proxied('/openstack/latest/network_data.json')).text);
    assert.equal(nd.links.length, 1);
    assert.equal(nd.links[0].type, 'ovs');
    assert.equal(nd.networks[0].network_id, netId);
    assert.equal(nd.networks[0].link, nd.links[0].id);
    assert.deepEqual((await proxied('/openstack/latest/vendor_data.json')).text, '{}');
    assert.deepEqual((await proxied('/openstack/latest/vendor_data2.json')).text, '{"static": {}}');
    assert.equal((await proxied('/openstack/2012-08-10/vendor_data.json')).status, 404);
    assert.equal((await proxied('/openstack/1999-01-01/meta_data.json')).status, 404);
  });

  it('EC2 tree: meta-data listing and items, user-data', async () => {
    const list = await proxied('/latest/meta-data/');
    assert.equal(list.text, ['ami-id', 'ami-launch-index', 'ami-manifest-path', 'block-device-mapping/', 'hostname', 'instance-action', 'instance-id', 'instance-type', 'local-hostname', 'local-ipv4', 'placement/', 'public-hostname', 'public-ipv4', 'reservation-id', 'security-groups'].join('\n'));
    assert.match((await proxied('/latest/meta-data/instance-id')).text, /^i-[0-9a-f]{8}$/);
    assert.equal((await proxied('/2009-04-04/meta-data/local-ipv4')).text, ip);
    assert.equal((await proxied('/latest/meta-data/placement/availability-zone')).text, 'nova');
    assert.equal((await proxied('/latest/meta-data/security-groups')).text, 'default');
    const flavor = (await cloud.api('demo', 'GET', `${cloud.urls.compute}/v2.1/flavors/100`)).body.flavor;
    assert.equal((await proxied('/latest/meta-data/instance-type')).text, flavor.name);
    assert.equal((await proxied('/latest/user-data')).text, USER_DATA);
    assert.equal((await proxied('/1.0/meta-data/local-hostname')).status, 404);
  });

  it('the proxy\'s headers are checked as nova does: 400 missing, 403 bad signature, 404 other tenant', async () => {
    const missing = await get('/latest/meta-data/', { 'x-instance-id': server.id, 'x-instance-id-signature': 'x', accept: 'text/plain' });
    assert.equal(missing.status, 400);
    assert.equal(missing.text, '400 Bad Request\n\nX-Tenant-ID header is missing from request.\n\n   ');
    const bad = await proxied('/latest/meta-data/', { 'x-instance-id-signature': 'nope' });
    assert.equal(bad.status, 403);
    assert.equal(bad.text, '403 Forbidden\n\nInvalid proxy request signature.\n\n   ');
    const other = await proxied('/latest/meta-data/', { 'x-tenant-id': '0123456789abcdef0123456789abcdef' });
    assert.equal(other.status, 404);
    assert.equal(other.text, '404 Not Found\n\nThe resource could not be found.\n\n   ');
    const html = await proxied('/latest/nope', { accept: '*/*' });
    assert.equal(html.status, 404);
    assert.match(html.type ?? '', /^text\/html/);
  });

  it('direct mode: the instance is found by the fixed IP in X-Forwarded-For', async () => {
    const md = await get('/openstack/latest/meta_data.json', { 'x-forwarded-for': ip });
    assert.equal(md.status, 200, md.text);
    assert.equal(JSON.parse(md.text).uuid, server.id);
    assert.equal((await get('/latest/meta-data/', { 'x-forwarded-for': '192.0.2.1' })).status, 404);
  });
});
