/**
 * Acceptance (issue 9): openstacksdk (python3-openstacksdk) drives the compute API —
 * `update_server(name=, description=)` and `set/get/delete_server_metadata` — through
 * test/acceptance/sdk/servers.py, which takes its credentials from the OS_* variables
 * (the SDK's "envvars" cloud) and prints JSON; the server is then read back over the API.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { startTestCloud, type TestCloud } from '../helpers/cloud.js';
import { waitFor } from './helpers.js';

// Debian's interpreter: the SDK is a Debian package, not in any pyenv/venv python.
const PYTHON = '/usr/bin/python3';
const SDK = '/usr/lib/python3/dist-packages/openstack/compute/v2/_proxy.py';
const DRIVER = fileURLToPath(new URL('./sdk/servers.py', import.meta.url));
const missing = existsSync(PYTHON) && existsSync(SDK) ? undefined : 'python3-openstacksdk not installed; run npm test as root to install it';

describe('acceptance: openstacksdk compute proxy (update_server, server metadata)', { skip: missing }, () => {
  let cloud: TestCloud;
  let vm: string;
  const api = (method: string, path: string) => cloud.api('demo', method, `${cloud.urls.compute}/v2.1${path}`, undefined, { 'openstack-api-version': 'compute 2.92' });

  before(async () => {
    cloud = await startTestCloud({ agent: { polling_interval: 0 }, network: { send_events_interval: 0 } });
    const net = (await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/networks`, { network: { name: 'net1' } })).body.network;
    await cloud.api('demo', 'POST', `${cloud.urls.network}/v2.0/subnets`, { subnet: { network_id: net.id, cidr: '10.0.0.0/24', ip_version: 4 } });
    const image = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    const body = { server: { name: 'vm1', flavorRef: '100', imageRef: image, networks: [{ uuid: net.id }], metadata: { keep: 'me' } } };
    vm = (await cloud.api('demo', 'POST', `${cloud.urls.compute}/v2.1/servers`, body)).body.server.id;
    await waitFor('vm1 ACTIVE', async () => ((await api('GET', `/servers/${vm}`)).body.server.status === 'ACTIVE' ? true : undefined));
  });
  after(() => cloud?.stop());

  test('update_server renames and describes; set/get/delete_server_metadata; a missing key is 404', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [DRIVER, vm], { env: { ...process.env, ...cloud.env('demo') }, timeout: 60_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${DRIVER} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    const r = JSON.parse(out);
    assert.deepEqual(r.update, { name: 'vm1-sdk', description: 'set by openstacksdk' });
    assert.deepEqual(r.show, { name: 'vm1-sdk', description: 'set by openstacksdk' });
    // The SDK's set_metadata returns what it sent, not nova's merged answer; the GET
    // shows that POST /servers/{id}/metadata merged (the boot-time key stays).
    assert.deepEqual(r.set, { a: '1', b: '2' });
    assert.deepEqual(r.get, { keep: 'me', a: '1', b: '2' });
    assert.deepEqual(r.after_delete, { keep: 'me', b: '2' });
    assert.deepEqual(r.delete_missing, { status: 404, details: 'Metadata item was not found' });

    const s = (await api('GET', `/servers/${vm}`)).body.server;
    assert.equal(s.name, 'vm1-sdk');
    assert.equal(s.description, 'set by openstacksdk');
    assert.deepEqual(s.metadata, { keep: 'me', b: '2' });
  });
});
