/**
 * Acceptance: the real glance and nova/openstack clients on the metadefs catalog,
 * quota classes and per-user quotas.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { cli, novaMissing, nova, ok, os } from './helpers.js';

const GLANCE = '/usr/bin/glance';

describe('acceptance: metadefs (glance) and quota classes (nova, openstack)', { skip: novaMissing }, () => {
  let cloud: TestCloud;
  before(async () => {
    cloud = await startTestCloud();
  });
  after(async () => {
    await cloud?.stop();
  });

  test('glance md-* commands create, show, list and delete a namespace', async () => {
    assert.match(await ok(cloud, 'admin', GLANCE, ['md-resource-type-list']), /OS::Glance::Image/);
    const created = await ok(cloud, 'admin', GLANCE, ['md-namespace-create', 'acc-ns', '--visibility', 'public', '--display-name', 'Acc']);
    assert.match(created, /\| namespace\s+\| acc-ns/);
    await ok(cloud, 'admin', GLANCE, ['md-resource-type-associate', 'acc-ns', '--name', 'OS::Nova::Flavor', '--prefix', 'hw:']);
    await ok(cloud, 'admin', GLANCE, ['md-property-create', 'acc-ns', '--name', 'cpu_policy', '--title', 'CPU policy', '--schema', '{"type": "string"}']);
    await ok(cloud, 'admin', GLANCE, ['md-object-create', 'acc-ns', '--name', 'obj', '--schema', '{"description": "d"}']);
    await ok(cloud, 'admin', GLANCE, ['md-tag-create-multiple', 'acc-ns', '--names', 't1,t2']);
    assert.match(await ok(cloud, 'demo', GLANCE, ['md-namespace-list']), /acc-ns/);
    const shown = await ok(cloud, 'demo', GLANCE, ['md-namespace-show', 'acc-ns', '--resource-type', 'OS::Nova::Flavor']);
    assert.match(shown, /hw:cpu_policy/);
    assert.match(await ok(cloud, 'demo', GLANCE, ['md-property-list', 'acc-ns']), /cpu_policy/);
    assert.match(await ok(cloud, 'demo', GLANCE, ['md-object-list', 'acc-ns']), /obj/);
    assert.match(await ok(cloud, 'demo', GLANCE, ['md-tag-list', 'acc-ns']), /t2/);
    const refused = await cli(cloud, 'demo', GLANCE, ['md-namespace-delete', 'acc-ns']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /403/);
    await ok(cloud, 'admin', GLANCE, ['md-namespace-delete', 'acc-ns']);
  });

  test('nova quota-class-show/update and per-user quota-update/show', async () => {
    assert.match(await nova(cloud, 'admin', 'quota-class-show', 'default'), /\| cores\s+\| 20/);
    await nova(cloud, 'admin', 'quota-class-update', '--cores', '30', 'default');
    // (OSC 6.0's `quota show --class` looks the name up as a project first, whatever the cloud.)
    assert.match(await nova(cloud, 'admin', 'quota-class-show', 'default'), /\| cores\s+\| 30/);
    assert.match(await nova(cloud, 'admin', 'quota-defaults'), /\| cores\s+\| 30/);
    await nova(cloud, 'admin', 'quota-class-update', '--cores', '20', 'default');
    const project = (await os(cloud, 'admin', 'project', 'show', 'demo', '-f', 'value', '-c', 'id')).trim();
    const user = (await os(cloud, 'admin', 'user', 'show', 'demo', '-f', 'value', '-c', 'id')).trim();
    await nova(cloud, 'admin', 'quota-update', '--user', user, '--ram', '2048', project);
    assert.match(await nova(cloud, 'admin', 'quota-show', '--tenant', project, '--user', user), /\| ram\s+\| 2048/);
    assert.match(await nova(cloud, 'admin', 'quota-show', '--tenant', project), /\| ram\s+\| 51200/);
    await nova(cloud, 'admin', 'quota-delete', '--tenant', project, '--user', user);
    assert.match(await nova(cloud, 'admin', 'quota-show', '--tenant', project, '--user', user), /\| ram\s+\| 51200/);
  });
});
