/**
 * `nimbus diagnose` and `nimbus repair-vifs` on a multi-process deployment (issue 12:
 * "every command works on the embedded cloud and on the distributed one"): nova-api
 * reads neutron over REST and the host's devices over compute.<host> on RabbitMQ. A
 * qvo is taken off br-int on the host "by hand" (the test speaks to the host's
 * nova-compute over the bus, as an operator's shell on the host would run ovs-vsctl);
 * the shipped CLI names the broken device, repairs it, and finds nothing afterwards.
 * Skipped (with the reason) when the bundle, the broker or the database server is
 * missing; under CI=true that fails instead.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Bus } from '../../src/bus/bus.js';
import { createBus } from '../../src/bus/transport.js';
import { systemClock, systemRandom } from '../../src/common/clock.js';
import { loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { serviceContext } from '../../src/compute/context.js';
import { ComputeRpc } from '../../src/compute/rpc.js';
import { type Deployment, deploymentApi, deploymentUnavailable, startDeployment } from '../helpers/deployment.js';
import { BUNDLE } from '../helpers/nimbus-process.js';
import { waitFor } from '../helpers/wait.js';

describe('nimbus diagnose and repair-vifs on a distributed deployment (RabbitMQ + postgres)', { timeout: 600_000 }, () => {
  let why: string | null = null;
  let d: Deployment | undefined;
  let bus: Bus | undefined;
  let api: Awaited<ReturnType<typeof deploymentApi>>;
  const nimbus = (...args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(process.execPath, [BUNDLE, ...args], { env: { ...process.env, ...d!.env('admin') }, timeout: 120_000 }, (err, out, errOut) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out, err: errOut }),
      ),
    );

  before(async () => {
    why = await deploymentUnavailable('postgres');
    if (why) {
      if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
      console.warn(`distributed diagnose/repair SKIPPED: ${why}`);
      return;
    }
    d = await startDeployment('postgres', { hosts: ['compute1'], workers: 1, conductorDebug: false, config: { agent: { polling_interval: '0' }, network: { send_events_interval: '0' } } });
    api = await deploymentApi(d, 'admin');
    // The operator's way onto the host: its nova-compute, over the deployment's vhost.
    const cfg = loadConfig({ overrides: { DEFAULT: { transport_url: `rabbit://guest:guest@127.0.0.1:5672/${d.vhost}` } } });
    bus = await createBus(cfg, { clock: systemClock, random: systemRandom, log: silentLogger() });
  });
  after(async () => {
    await bus?.close();
    await d?.stop();
  });

  it('finds a qvo taken off br-int, repairs it, and then finds nothing', async (t) => {
    if (why) return t.skip(why);
    const net = await api('POST', `${d!.urls.network}/v2.0/networks`, { network: { name: 'opnet' } });
    assert.equal(net.status, 201, JSON.stringify(net.body));
    await api('POST', `${d!.urls.network}/v2.0/subnets`, { subnet: { network_id: net.body.network.id, cidr: '10.92.0.0/24', ip_version: 4 } });
    const image = (await api('GET', `${d!.urls.image}/v2/images`)).body.images[0].id;
    const boot = await api('POST', `${d!.urls.compute}/v2.1/servers`, { server: { name: 'opvm', flavorRef: '100', imageRef: image, networks: [{ uuid: net.body.network.id }] } });
    assert.equal(boot.status, 202, JSON.stringify(boot.body));
    const id = boot.body.server.id as string;
    await waitFor('ACTIVE', async () => ((await api('GET', `${d!.urls.compute}/v2.1/servers/${id}`)).body.server?.status === 'ACTIVE' ? true : undefined), 120_000, 250);
    const healthy = await nimbus('diagnose', 'server', id);
    assert.equal(healthy.code, 0, healthy.out + healthy.err);

    const port = (await api('GET', `${d!.urls.network}/v2.0/ports?device_id=${id}`)).body.ports[0];
    const qvo = `qvo${(port.id as string).slice(0, 11)}`;
    const ran = await new ComputeRpc(bus!).hostRunCommands('compute1', serviceContext('req-operate-test'), [{ argv: ['ovs-vsctl', '--', '--if-exists', 'del-port', 'br-int', qvo] }]);
    assert.deepEqual(ran.map((r) => r.ok), [true]);

    const broken = await nimbus('diagnose', 'server', id, '-f', 'json');
    assert.equal(broken.code, 1, broken.err);
    assert.ok((JSON.parse(broken.out) as { findings: { cause: string }[] }).findings.some((f) => f.cause === 'device-not-on-br-int'), broken.out);
    const plan = await nimbus('repair-vifs', '--server', id);
    assert.equal(plan.code, 1, plan.err);
    assert.match(plan.out, new RegExp(`sudo nova-rootwrap /etc/nova/rootwrap.conf ovs-vsctl .*add-port br-int ${qvo}`));
    const applied = await nimbus('repair-vifs', '--server', id, '--apply');
    assert.equal(applied.code, 0, applied.out + applied.err);
    const again = await nimbus('repair-vifs');
    assert.equal(again.code, 0, again.out + again.err);
    await waitFor('the port ACTIVE again and the diagnosis healthy', async () => ((await nimbus('diagnose', 'server', id)).code === 0 ? true : undefined), 60_000, 500);
  });
});
