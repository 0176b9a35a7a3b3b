/**
 * `nimbus trace` on a multi-process deployment (issue 12, point 3): two nova-api, two
 * neutron-server and two nova-conductor processes, a nova-scheduler and a `nimbus host`
 * on RabbitMQ and PostgreSQL. The compute's steps reach nova's database through the
 * conductor (the host has no database), neutron's sit in neutron's database, and the
 * shipped CLI prints the boot with every step. Skipped (with the reason) when the bundle,
 * the broker or the database server is missing; under CI=true that fails instead.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type Deployment, deploymentApi, deploymentUnavailable, startDeployment } from '../helpers/deployment.js';
import { BUNDLE } from '../helpers/nimbus-process.js';
import { waitFor } from '../helpers/wait.js';

describe('nimbus trace on a distributed deployment (RabbitMQ + postgres)', { timeout: 600_000 }, () => {
  let why: string | null = null;
  let d: Deployment | undefined;
  let api: Awaited<ReturnType<typeof deploymentApi>>;
  const trace = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(process.execPath, [BUNDLE, 'trace', ...args], { env: { ...process.env, ...d!.env('admin') }, timeout: 60_000 }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
      ),
    );

  before(async () => {
    why = await deploymentUnavailable('postgres');
    if (why) {
      if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
      console.warn(`distributed trace SKIPPED: ${why}`);
      return;
    }
    d = await startDeployment('postgres', { hosts: ['compute1'], conductorDebug: false, config: { agent: { polling_interval: '0' }, network: { send_events_interval: '0' } } });
    api = await deploymentApi(d, 'demo');
  });
  after(async () => {
    await d?.stop();
  });

  it('prints a boot with every step, recorded by processes that share nothing but the bus and the databases', async (t) => {
    if (why) return t.skip(why);
    const net = await api('POST', `${d!.urls.network}/v2.0/networks`, { network: { name: 'net1' } });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    await api('POST', `${d!.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.9.0.0/24', ip_version: 4 } });
    const image = (await api('GET', `${d!.urls.image}/v2/images`)).body.images[0].id;
    const boot = await api('POST', `${d!.urls.compute}/v2.1/servers`, { server: { name: 'vm', flavorRef: '100', imageRef: image, networks: [{ uuid: net.body.network.id }] } });
    assert.equal(boot.status, 202, JSON.stringify(boot.body));
    const id = boot.body.server.id as string;
    await waitFor('ACTIVE', async () => ((await api('GET', `${d!.urls.compute}/v2.1/servers/${id}`)).body.server?.status === 'ACTIVE' ? true : undefined), 120_000, 250);
    const wanted = ['POST /v2.1/servers', 'build_instances', 'select_destinations', 'build_and_run_instance', 'neutron POST /v2.0/ports', 'POST /v2.0/ports', 'port_binding', 'plug_vif', 'agent_device_details', 'port_status', 'nova_event_posted', 'external_event_received', 'task_state'];
    const timeline = await waitFor(
      'every step recorded',
      async () => {
        const r = await trace(id, '--request-id', boot.requestId, '-f', 'json');
        if (r.code !== 0) return undefined;
        const tl = (JSON.parse(r.out) as { timelines: { steps: { step: string; service: string; detail: Record<string, unknown> }[] }[] }).timelines[0];
        return tl && wanted.every((w) => tl.steps.some((s) => s.step === w)) && tl.steps.some((s) => s.step === 'task_state' && s.detail.vm_state === 'active') ? tl : undefined;
      },
      30_000,
      500,
    );
    assert.ok(timeline.steps.some((s) => s.step === 'plug_vif' && s.service === 'nova-compute'));
    const table = await trace(id);
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, new RegExp(`request ${boot.requestId} \\(create\\)`));
  });
});
