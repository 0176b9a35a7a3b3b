/**
 * Acceptance (issue 9 PX): the legacy extension list, usage, hypervisor uptime and
 * migrations through the real clients — `openstack extension list --compute`,
 * `openstack usage list`, `nova hypervisor-uptime`, `nova migration-list`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { listTable, nova, novaMissing, os, osJson, parseTable, waitFor } from './helpers.js';

describe('acceptance: compute extensions, usage, uptime, migrations', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  let serverId: string;
  let netId: string;
  let imageId: string;
  before(async () => {
    cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 } });
    const net = await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'n' } });
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.7.0.0/24', ip_version: 4 } });
    netId = net.body.network.id;
    const images = await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`);
    imageId = images.body.images[0].id;
    const r = await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, { server: { name: 'vm', flavorRef: '100', imageRef: images.body.images[0].id, networks: [{ uuid: net.body.network.id }] } });
    serverId = r.body.server.id;
    await waitFor('ACTIVE', async () => ((await cloud.api('demo', 'GET', `${cloud.urls.compute}/v2.1/servers/${serverId}`)).body.server?.status === 'ACTIVE' ? true : undefined));
  });
  after(async () => {
    await cloud?.stop();
  });

  test('openstack extension list --compute: nova\'s legacy list', async () => {
    const rows = await osJson(cloud, 'demo', 'extension', 'list', '--compute');
    assert.equal(rows.length, 99);
    assert.deepEqual(rows[0], { Name: 'Multinic', Alias: 'NMN', Description: 'Multiple network support.' });
  });

  test('openstack usage list: the demo project\'s one server', async () => {
    const out = await os(cloud, 'admin', 'usage', 'list');
    assert.match(out, /^Usage from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d:/m);
    const rows = listTable(out);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.Project, 'demo');
    assert.equal(rows[0]!.Servers, '1');
  });

  test('nova hypervisor-uptime: the host\'s uptime line, from the show view at 2.88+ and the uptime route before', async () => {
    // Was '-' (null) at 2.88+ and 501 before, while the fake driver had no uptime (Tempest
    // test_get_hypervisor_uptime failed on it).
    const LINE = /^\d\d:\d\d:\d\d up .+, {2}0 user, {2}load average: 0\.00, 0\.00, 0\.00$/;
    const hyp = listTable(await nova(cloud, 'admin', 'hypervisor-list'))[0]!;
    const t = parseTable(await nova(cloud, 'admin', 'hypervisor-uptime', hyp.ID!));
    assert.deepEqual(t.header, ['Property', 'Value']);
    assert.match(t.rows.find((r) => r[0] === 'uptime')![1]!, LINE);
    const old = parseTable(await nova(cloud, 'admin', '--os-compute-api-version', '2.87', 'hypervisor-uptime', hyp.ID!));
    // The line ends with a newline, as the command's does: print_dict shows an empty row after it.
    assert.deepEqual(old.rows.map((r) => r[0]), ['hypervisor_hostname', 'id', 'state', 'status', 'uptime', '']);
    assert.match(old.rows.find((r) => r[0] === 'uptime')![1]!, LINE);
  });

  test('nova migration-list: the header and no rows', async () => {
    const out = await nova(cloud, 'admin', 'migration-list');
    assert.match(out, /\| Id \| UUID \| Source Node \| Dest Node \| Source Compute \| Dest Compute \| Dest Host \| Status \| Instance UUID \| Old Flavor \| New Flavor \| Created At \| Updated At \| Type \| Project ID \| User ID \|/);
    assert.equal(listTable(out).length, 0);
  });

  test('openstack server create --user-data F --config-drive True; server show as admin at 2.3', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-ud-'));
    const file = join(dir, 'user-data');
    writeFileSync(file, '#cloud-config\nhostname: ud\n');
    const made = await osJson(cloud, 'demo', 'server', 'create', '--flavor', 'm1.nano', '--image', imageId, '--network', netId, '--user-data', file, '--config-drive', 'True', 'ud');
    rmSync(dir, { recursive: true, force: true });
    const shown = await osJson(cloud, 'admin', '--os-compute-api-version', '2.3', 'server', 'show', made.id);
    assert.equal(shown['OS-EXT-SRV-ATTR:user_data'], Buffer.from('#cloud-config\nhostname: ud\n').toString('base64'));
    assert.equal(shown.config_drive, 'True');
  });
});
