/**
 * `nimbus trace` (issue 12, point 3): a boot's timeline across services from the steps
 * nova and neutron recorded (GET /nimbus/v1/traces/{server}), every step of the boot in
 * order; attach, detach and delete traces; the CLI end to end; and the OpenTelemetry
 * export to an OTLP/HTTP endpoint (a small in-test receiver) with parent/child links and
 * the request id carried across REST and RPC.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { OPS_COMMANDS, runOpsCommand } from '../../src/cli/ops/index.js';
import type { Io } from '../../src/cli/ops/output.js';
import { traceIdOf } from '../../src/common/trace.js';
import { type TestCloud, startTestCloud } from '../helpers/cloud.js';
import { waitFor } from '../helpers/wait.js';

const FAST = { agent: { polling_interval: 0 }, network: { send_events_interval: 0 }, trace: { flush_ms: 20 } };

interface Step {
  offset_ms: number;
  service: string;
  step: string;
  duration_ms: number;
  status: string;
  critical: boolean;
  request_id: string;
  span_id: string;
  parent_id: string | null;
  detail: Record<string, any>;
}
interface Timeline {
  request_id: string;
  action: string | null;
  duration_ms: number;
  steps: Step[];
}

/** A minimal OTLP/HTTP receiver: the JSON bodies the exporter posts. */
function otlpReceiver(): Promise<{ url: string; bodies: any[]; close: () => void }> {
  const bodies: any[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.url === '/v1/traces' && String(req.headers['content-type']).includes('json')) bodies.push(JSON.parse(Buffer.concat(chunks).toString()));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, bodies, close: () => server.close() })),
  );
}

describe('nimbus trace', () => {
  let cloud: TestCloud;
  let otlp: Awaited<ReturnType<typeof otlpReceiver>>;
  let netId: string;
  let net2Id: string;
  let imageId: string;
  let server: string;
  let bootRequest: string;
  const nova = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) =>
    cloud.api(user, method, `${cloud.urls.compute}/v2.1${path}`, body, { 'openstack-api-version': 'compute 2.92' });
  const neutron = (user: 'admin' | 'demo', method: string, path: string, body?: unknown) => cloud.api(user, method, `${cloud.urls.network}/v2.0${path}`, body);
  const traces = async (id: string, requestId?: string): Promise<Timeline[]> => {
    const r = await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/traces/${id}${requestId ? `?request_id=${requestId}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.warnings, undefined, JSON.stringify(r.body.warnings));
    return r.body.timelines;
  };
  /** The first step matching `pred` in the timeline (index), failing with the steps seen. */
  const indexOf = (tl: Timeline, what: string, pred: (s: Step) => boolean) => {
    const i = tl.steps.findIndex(pred);
    assert.ok(i >= 0, `${what} missing from ${tl.steps.map((s) => `${s.service}:${s.step}`).join(', ')}`);
    return i;
  };

  before(async () => {
    otlp = await otlpReceiver();
    cloud = await startTestCloud({ ...FAST, trace: { ...FAST.trace, otlp_endpoint: otlp.url } });
    const net = await neutron('demo', 'POST', '/networks', { network: { name: 'net1' } });
    netId = net.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: netId, cidr: '10.1.0.0/24', ip_version: 4 } });
    const net2 = await neutron('demo', 'POST', '/networks', { network: { name: 'net2' } });
    net2Id = net2.body.network.id;
    await neutron('demo', 'POST', '/subnets', { subnet: { network_id: net2Id, cidr: '10.2.0.0/24', ip_version: 4 } });
    imageId = (await cloud.api('demo', 'GET', `${cloud.urls.image}/v2/images`)).body.images[0].id;
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'traced', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    assert.equal(r.status, 202, JSON.stringify(r.body));
    server = r.body.server.id;
    bootRequest = r.headers.get('x-openstack-request-id')!;
    await waitFor('server ACTIVE', async () => ((await nova('admin', 'GET', `/servers/${server}`)).body.server?.status === 'ACTIVE' ? true : undefined));
  });
  after(async () => {
    await cloud?.stop();
    otlp?.close();
  });

  it("has every step of the boot in order, across nova's and neutron's services", async () => {
    // The event reaching the compute is recorded after the guest resumes: wait for the last step.
    const tl = await waitFor('the boot trace complete', async () => {
      const t = (await traces(server, bootRequest))[0];
      const done = (step: string) => t?.steps.some((s) => s.step === step && s.service === 'nova-compute');
      return t?.steps.some((s) => s.step === 'task_state' && s.detail.vm_state === 'active') && done('external_event_received') && done('build_and_run_instance') ? t : undefined;
    });
    assert.equal(tl.request_id, bootRequest);
    assert.equal(tl.action, 'create');
    const order = [
      indexOf(tl, 'the API request', (s) => s.service === 'nova-api' && s.step === 'POST /v2.1/servers'),
      indexOf(tl, 'the conductor', (s) => s.service === 'nova-conductor' && s.step === 'build_instances'),
      indexOf(tl, 'the scheduler', (s) => s.service === 'nova-scheduler' && s.step === 'select_destinations'),
      indexOf(tl, 'the compute build', (s) => s.service === 'nova-compute' && s.step === 'build_and_run_instance'),
      indexOf(tl, "nova's port create", (s) => s.service === 'nova' && s.step === 'neutron POST /v2.0/ports'),
      indexOf(tl, "neutron's port create", (s) => s.service === 'neutron-server' && s.step === 'POST /v2.0/ports'),
      indexOf(tl, "nova's port update", (s) => s.service === 'nova' && s.step === 'neutron PUT /v2.0/ports/{id}'),
      indexOf(tl, 'the binding', (s) => s.step === 'port_binding' && s.detail.vif_type === 'ovs'),
      indexOf(tl, 'the plug', (s) => s.step === 'plug_vif'),
      indexOf(tl, 'the agent seeing the device', (s) => s.step === 'agent_device_details'),
      indexOf(tl, 'the agent reporting it up', (s) => s.step === 'agent_device_up'),
      indexOf(tl, 'the port ACTIVE', (s) => s.step === 'port_status' && s.detail.status === 'ACTIVE'),
      indexOf(tl, 'the event posted', (s) => s.step === 'nova_event_posted' && s.detail.name === 'network-vif-plugged'),
      indexOf(tl, 'the event received by nova-api', (s) => s.service === 'nova-api' && s.step === 'external_event_received' && s.detail.name === 'network-vif-plugged'),
      indexOf(tl, 'the event received by the compute', (s) => s.service === 'nova-compute' && s.step === 'external_event_received' && s.detail.name === 'network-vif-plugged'),
      indexOf(tl, 'ACTIVE', (s) => s.step === 'task_state' && s.detail.vm_state === 'active'),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), tl.steps.map((s) => `${s.offset_ms} ${s.service}:${s.step} ${JSON.stringify(s.detail).slice(0, 150)}`).join('\n'));
    // The decision, the task states, the neutron calls' status and the plug commands are there.
    const sched = tl.steps.find((s) => s.step === 'select_destinations')!;
    assert.ok(sched.detail.selected && Array.isArray(sched.detail.weights) && sched.detail.hosts.length === 2, JSON.stringify(sched.detail));
    assert.deepEqual(
      tl.steps.filter((s) => s.step === 'task_state').map((s) => s.detail.task_state),
      ['networking', 'block_device_mapping', 'spawning', null],
    );
    assert.ok(tl.steps.filter((s) => s.service === 'nova' && s.step.startsWith('neutron ')).every((s) => typeof s.detail.status === 'number' && s.status === 'ok'));
    const plug = tl.steps.find((s) => s.step === 'plug_vif')!;
    assert.ok(plug.detail.commands.some((c: string) => c.startsWith('ovs-vsctl') && c.includes(`vm-uuid=${server}`)), JSON.stringify(plug.detail.commands));
    // Steps nest: the plug is inside the spawn, inside the build; the critical path ends the boot.
    const byId = new Map(tl.steps.map((s) => [s.span_id, s]));
    assert.equal(byId.get(plug.parent_id!)?.step, 'spawn');
    assert.equal(byId.get(byId.get(plug.parent_id!)!.parent_id!)?.step, 'build_and_run_instance');
    // The critical path ends with the last step and reaches back through the build.
    const critical = tl.steps.filter((s) => s.critical);
    assert.ok(critical.length >= 3, JSON.stringify(critical));
    assert.ok(critical.at(-1)!.offset_ms >= tl.steps.find((s) => s.step === 'task_state' && s.detail.vm_state === 'active')!.offset_ms, 'the path ends with the last step');
    assert.ok(!critical.some((s) => s.step === 'build_and_run_instance'), 'enclosing steps are not on the path, their children are');
  });

  it("the operator API's own reads are not steps of the server's requests", async () => {
    // diagnose reads neutron's diagnosis of each port (/nimbus/v1/diagnosis/ports/...) on the server's behalf.
    assert.equal((await cloud.api('admin', 'GET', `${cloud.urls.compute}/nimbus/v1/diagnose/servers/${server}`)).status, 200);
    const all = await traces(server);
    const leaked = all.flatMap((t) => t.steps).filter((s) => s.step.includes('/nimbus/'));
    assert.deepEqual(leaked.map((s) => `${s.service}:${s.step}`), []);
  });

  it('traces attach, detach and delete as their own requests, newest first', async () => {
    const att = await nova('admin', 'POST', `/servers/${server}/os-interface`, { interfaceAttachment: { net_id: net2Id } });
    assert.equal(att.status, 200, JSON.stringify(att.body));
    const portId = att.body.interfaceAttachment.port_id;
    const det = await nova('admin', 'DELETE', `/servers/${server}/os-interface/${portId}`);
    assert.equal(det.status, 202);
    await waitFor('port gone', async () => ((await neutron('admin', 'GET', `/ports/${portId}`)).status === 404 ? true : undefined));
    const all = await waitFor('attach and detach traced', async () => {
      const t = await traces(server);
      const has = (action: string, steps: string[]) => steps.every((step) => t.find((x) => x.action === action)?.steps.some((s) => s.step === step));
      return has('detach_interface', ['detach_interface', 'unplug_vif', 'port_deleted']) && has('attach_interface', ['attach_interface', 'plug_vif']) ? t : undefined;
    }, 5000).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify((await traces(server)).map((t) => [t.action, t.steps.map((s) => s.step)]))}`);
    });
    assert.deepEqual(all.map((t) => t.action), ['detach_interface', 'attach_interface', 'create']);
    const attach = all[1]!;
    for (const step of ['attach_interface', 'neutron POST /v2.0/ports', 'port_binding', 'plug_vif']) indexOf(attach, step, (s) => s.step === step);
    const detach = all[0]!;
    for (const step of ['detach_interface', 'unplug_vif', 'neutron DELETE /v2.0/ports/{id}', 'port_deleted']) indexOf(detach, step, (s) => s.step === step);

    const del = await nova('demo', 'DELETE', `/servers/${server}`);
    assert.equal(del.status, 204);
    await waitFor('server gone', async () => ((await nova('demo', 'GET', `/servers/${server}`)).status === 404 ? true : undefined));
    const gone = await waitFor('delete traced', async () => {
      const t = (await traces(server))[0];
      return t?.action === 'delete' && ['terminate_instance', 'unplug_vif', 'port_deleted'].every((step) => t.steps.some((s) => s.step === step)) ? t : undefined;
    });
    for (const step of ['terminate_instance', 'unplug_vif', 'port_deleted']) indexOf(gone, step, (s) => s.step === step);
  });

  it('traces a cold migration: conductor, scheduler, prep/resize/finish on both hosts, the binding moved, the plug', async () => {
    const r = await nova('demo', 'POST', '/servers', { server: { name: 'moved', flavorRef: '100', imageRef: imageId, networks: [{ uuid: netId }] } });
    const vm = r.body.server.id as string;
    const status = async () => (await nova('admin', 'GET', `/servers/${vm}`)).body.server;
    await waitFor('ACTIVE', async () => ((await status()).status === 'ACTIVE' ? true : undefined));
    const from = (await status())['OS-EXT-SRV-ATTR:host'];
    const mig = await nova('admin', 'POST', `/servers/${vm}/action`, { migrate: null });
    assert.equal(mig.status, 202, JSON.stringify(mig.body));
    const requestId = mig.headers.get('x-openstack-request-id')!;
    await waitFor('VERIFY_RESIZE', async () => ((await status()).status === 'VERIFY_RESIZE' ? true : undefined));
    const wanted = ['migrate_server', 'select_destinations', 'prep_resize', 'resize_instance', 'finish_resize', 'unplug_vif', 'plug_vif', 'port_binding'];
    const tl = await waitFor('the migration traced', async () => {
      const t = (await traces(vm, requestId))[0];
      return t && wanted.every((w) => t.steps.some((s) => s.step === w)) ? t : undefined;
    });
    assert.equal(tl.action, 'migrate');
    const hostOf = (step: string) => tl.steps.find((s) => s.step === step)!.detail.host;
    assert.equal(hostOf('resize_instance'), from);
    assert.notEqual(hostOf('finish_resize'), from);
    const binding = tl.steps.filter((s) => s.step === 'port_binding').at(-1)!;
    assert.equal(binding.detail.host, hostOf('finish_resize'));
    assert.ok(tl.steps.findIndex((s) => s.step === 'unplug_vif') < tl.steps.findIndex((s) => s.step === 'finish_resize'));
  });

  it('the CLI prints the timeline with the critical path, as a table and as JSON', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l), env: cloud.env('admin') };
    assert.equal(await runOpsCommand('trace', OPS_COMMANDS.trace!, [server, '--request-id', bootRequest], io), 0, err.join('\n'));
    const text = out.join('\n');
    assert.match(text, new RegExp(`request ${bootRequest} \\(create\\)`));
    assert.match(text, /\| Offset \(ms\) \| Service +\| Step/);
    assert.match(text, /nova-scheduler +\| select_destinations/);
    assert.match(text, new RegExp(`^\\| +\\| +\\| +\\| +\\| +\\| ovs-vsctl .*vm-uuid=${server}`, 'm'), 'each plug command on its own line');
    assert.match(text, /^\| \* \| [\d.]+ +\| /m, 'the critical path marked');
    out.length = 0;
    assert.equal(await runOpsCommand('trace', OPS_COMMANDS.trace!, [server, '-f', 'json'], io), 0);
    const json = JSON.parse(out.join('\n')) as { timelines: Timeline[] };
    assert.deepEqual(json.timelines.map((t) => t.action), ['delete', 'detach_interface', 'attach_interface', 'create']);
    out.length = 0;
    assert.equal(await runOpsCommand('trace', OPS_COMMANDS.trace!, ['--help'], io), 0);
    assert.match(out.join('\n'), /nimbus trace SERVER/);
    assert.equal(await runOpsCommand('trace', OPS_COMMANDS.trace!, [], io), 2);
    // Admin only, on nova's operator API and on neutron's route it reads.
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.compute}/nimbus/v1/traces/${server}`)).status, 403);
    assert.equal((await cloud.api('demo', 'GET', `${cloud.urls.network}/v2.0/nimbus/trace-events?device_id=${server}`)).status, 403);
    assert.equal(await runOpsCommand('trace', OPS_COMMANDS.trace!, ['00000000-0000-0000-0000-000000000000'], io), 1);
    assert.match(err.join('\n'), /could not be found/);
  });

  it('exports the steps as OpenTelemetry spans to the OTLP endpoint, one trace per request', async () => {
    const traceId = traceIdOf(bootRequest);
    const spans = await waitFor('the boot exported', async () => {
      const all = otlp.bodies.flatMap((b) => b.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((s: any) => ({ ...s, service: rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue })))));
      const mine = all.filter((s: any) => s.traceId === traceId);
      return mine.some((s: any) => s.name === 'nova-compute plug_vif') && mine.some((s: any) => s.service === 'neutron') ? mine : undefined;
    }, 15_000);
    const byId = new Map(spans.map((s: any) => [s.spanId, s]));
    const root = spans.find((s: any) => s.name === 'nova-api POST /v2.1/servers');
    assert.ok(root, spans.map((s: any) => s.name).join(', '));
    assert.equal(root.parentSpanId ?? '', '');
    const attr = (s: any, k: string) => s.attributes.find((a: any) => a.key === k)?.value.stringValue;
    assert.ok(spans.every((s: any) => attr(s, 'nimbus.request_id') === bootRequest));
    // RPC: the compute's build is the conductor's child, the conductor the API request's.
    const build = spans.find((s: any) => s.name === 'nova-compute build_and_run_instance');
    const conductor = byId.get(build.parentSpanId);
    assert.equal(conductor?.name, 'nova-conductor build_instances');
    assert.equal(conductor.parentSpanId, root.spanId);
    // REST: neutron's handling of nova's port create is the child of nova's call.
    const neutronCreate = spans.find((s: any) => s.name === 'neutron-server POST /v2.0/ports');
    assert.equal(byId.get(neutronCreate.parentSpanId)?.name, 'nova neutron POST /v2.0/ports');
    assert.equal(neutronCreate.service, 'neutron');
  });
});
