/**
 * The RPC contracts (bus/contract.ts, compute/rpc.ts, network/rpc/topics.ts):
 * - compile time: the `@ts-expect-error` lines below must fail tsc (npm test runs tsc),
 *   so a wrong argument type, an unknown method, a missing or an extra handler is caught;
 * - runtime: each topic's method list matches what its real listener serves, listen()
 *   refuses a drifted table, and a client reaches the right topic and server;
 * - payloads: a representative argument of each topic survives a JSON round trip intact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bus, Endpoint, Listener } from '../../src/bus/bus.js';
import { ContractMismatch, contractDrift, defineTopic, listen, rpcClient } from '../../src/bus/contract.js';
import { InprocBus } from '../../src/bus/inproc.js';
import { FakeClock } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import type { NovaContext } from '../../src/compute/context.js';
import { ConductorManager, type ConductorDeps } from '../../src/compute/conductor/manager.js';
import type { ComputeData } from '../../src/compute/objects/compute-data.js';
import { OBJECT_METHODS } from '../../src/compute/objects/indirection.js';
import {
  type BuildRequest,
  type ComputeTopic,
  ComputeTopicDef,
  type ConductorTopic,
  ConductorTopicDef,
  type LiveMigrationArgs,
  type RequestSpec,
  type ResizeArgs,
  type SchedulerTopic,
  SchedulerTopicDef,
} from '../../src/compute/rpc.js';
import { SchedulerManager, type SchedulerDeps } from '../../src/compute/scheduler/manager.js';
import { registerReportEndpoint } from '../../src/network/agents/report-endpoint.js';
import { type PluginEndpointDeps, registerPluginEndpoint } from '../../src/network/rpc/plugin-endpoint.js';
import {
  AgentBindingActivateTopicDef,
  AgentBindingDeactivateTopicDef,
  AgentPortDeleteTopicDef,
  AgentPortUpdateTopicDef,
  type PluginTopic,
  PluginTopicDef,
  type ReportsTopic,
  ReportsTopicDef,
} from '../../src/network/rpc/topics.js';

const ctx: NovaContext = { requestId: 'req-1', userId: 'u', projectId: 'p', roles: ['member'], isAdmin: false, authToken: 'tok' };
const spec: RequestSpec = {
  instanceUuid: 'i-1',
  projectId: 'p',
  flavor: { vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 },
  availabilityZone: null,
  ignoreHosts: ['h0'],
  numInstances: 1,
  schedulerHints: { same_host: ['i-0'] },
  instanceGroup: null,
};

/** A bus that records what each listen() was given, and serves nothing. */
function recordingBus(): Bus & { endpoints: Map<string, Endpoint> } {
  const endpoints = new Map<string, Endpoint>();
  const listener: Listener = { stop: async () => undefined };
  return {
    endpoints,
    call: () => Promise.reject(new Error('not served')),
    cast: async () => undefined,
    listen: async (topic, _server, endpoint) => {
      endpoints.set(topic, endpoint);
      return listener;
    },
    queueDepths: async () => ({}),
    close: async () => undefined,
  };
}

// --- compile time: each of these lines is an error tsc must report -------------------
// (Never run: the functions exist for the type checker.)
export function clientTypeErrors(bus: Bus): void {
  const compute = rpcClient(bus, ComputeTopicDef, { server: 'h1' });
  // @ts-expect-error a wrong argument type (tailLength is number | null)
  void compute.call('get_console_output', { ctx, instanceUuid: 'i', tailLength: '10' });
  // @ts-expect-error an argument missing (instanceUuid)
  void compute.cast('terminate_instance', { ctx });
  // @ts-expect-error a method the topic does not have
  void compute.cast('no_such_method', { ctx });
  // @ts-expect-error the result type is the contract's (string), not a number
  const _n: Promise<number> = compute.call('get_host_uptime', { ctx });
  void _n;
  const scheduler = rpcClient(bus, SchedulerTopicDef);
  // @ts-expect-error claim needs host and spec
  void scheduler.call('claim', { instanceUuid: 'i' });
  const plugin = rpcClient(bus, PluginTopicDef);
  // @ts-expect-error devices is a list of ids
  void plugin.call('update_device_list', { devices_up: 'p1', devices_down: [], agent_id: 'a', host: 'h' });
}

export function listenerTypeErrors(bus: Bus): void {
  // @ts-expect-error a missing handler (claim)
  void listen(bus, SchedulerTopicDef, 's', { select_destinations: async () => [] });
  // @ts-expect-error an extra handler the contract does not declare
  void listen(bus, SchedulerTopicDef, 's', { select_destinations: async () => [], claim: async () => true, extra: async () => null });
  // @ts-expect-error a handler taking a wrong argument type
  void listen(bus, SchedulerTopicDef, 's', { select_destinations: async () => [], claim: async (a: { host: number }) => a.host > 0 });
  // @ts-expect-error a handler returning the wrong result type (claim answers a boolean)
  void listen(bus, SchedulerTopicDef, 's', { select_destinations: async () => [], claim: async () => 'yes' });
  // @ts-expect-error a method list missing a method
  defineTopic<SchedulerTopic>('scheduler', { select_destinations: true });
  // @ts-expect-error a method list with an unknown method
  defineTopic<SchedulerTopic>('scheduler', { select_destinations: true, claim: true, other: true });
  // The right table compiles.
  void listen(bus, SchedulerTopicDef, 's', { select_destinations: async () => [], claim: async () => true });
}

// --- runtime --------------------------------------------------------------------------
describe('RPC contracts', () => {
  it('the topic method lists are the declared names, once each', () => {
    for (const def of [ConductorTopicDef, SchedulerTopicDef, ComputeTopicDef, PluginTopicDef, ReportsTopicDef]) {
      assert.equal(new Set(def.methods).size, def.methods.length, def.name);
      assert.ok(def.methods.length > 0);
    }
    assert.deepEqual(ConductorTopicDef.methods.slice(0, Object.keys(OBJECT_METHODS).length), Object.keys(OBJECT_METHODS));
    assert.ok(ConductorTopicDef.methods.includes('build_instances'));
    assert.equal(ComputeTopicDef.name, 'compute');
    assert.equal(AgentPortUpdateTopicDef.name, 'q-agent-notifier-port-update');
    assert.deepEqual(AgentPortDeleteTopicDef.methods, ['port_delete']);
    assert.deepEqual(AgentBindingDeactivateTopicDef.methods, ['binding_deactivate']);
    assert.deepEqual(AgentBindingActivateTopicDef.methods, ['binding_activate']);
  });

  it("each server's listener serves exactly its topic's methods", async () => {
    const bus = recordingBus();
    await new SchedulerManager({} as SchedulerDeps).listen(bus, 'sched');
    const objects = { instances: {}, actions: {}, services: {}, migrations: {}, allocations: {} } as unknown as ComputeData;
    await new ConductorManager({ bus, objects } as unknown as ConductorDeps).listen('cond');
    await registerPluginEndpoint(bus, {} as PluginEndpointDeps);
    await registerReportEndpoint(bus, {} as never, new FakeClock(), silentLogger());
    for (const def of [SchedulerTopicDef, ConductorTopicDef, PluginTopicDef, ReportsTopicDef]) {
      const endpoint = bus.endpoints.get(def.name);
      assert.ok(endpoint, def.name);
      assert.deepEqual(contractDrift(def, endpoint), { missing: [], extra: [] }, def.name);
    }
    // nova-compute's table is checked by listen() itself when a host starts (the functional suites boot hosts).
  });

  it('listen() refuses a table that drifted from the method list', async () => {
    const bus = recordingBus();
    const table = { select_destinations: async () => [], claim: async () => true };
    await assert.rejects(listen(bus, SchedulerTopicDef, 's', { ...table, extra: async () => null } as never), (e: unknown) => {
      assert.ok(e instanceof ContractMismatch);
      assert.match(e.message, /scheduler.*missing \[\], extra \[extra\]/);
      return true;
    });
    await assert.rejects(listen(bus, SchedulerTopicDef, 's', { select_destinations: table.select_destinations } as never), /missing \[claim\]/);
    assert.equal(bus.endpoints.size, 0);
    await listen(bus, SchedulerTopicDef, 's', table);
    assert.deepEqual(Object.keys(bus.endpoints.get('scheduler')!), ['select_destinations', 'claim']);
  });

  it('a client sends to its topic and server, and the reply is typed by the contract', async () => {
    const bus = new InprocBus(new FakeClock(), silentLogger());
    const seen: string[] = [];
    const handlers: Record<string, (a: unknown) => unknown> = {};
    for (const m of ComputeTopicDef.methods) handlers[m] = (a) => void seen.push(`${m}:${JSON.stringify(a)}`);
    handlers.get_host_uptime = () => ' 10:00:00 up 1 day';
    await listen(bus, ComputeTopicDef, 'h2', handlers as never);
    const uptime: string = await rpcClient(bus, ComputeTopicDef, { server: 'h2' }).call('get_host_uptime', { ctx });
    assert.equal(uptime, ' 10:00:00 up 1 day');
    await rpcClient(bus, ComputeTopicDef, { server: 'h2' }).cast('terminate_instance', { ctx, instanceUuid: 'i-9' });
    await assert.rejects(rpcClient(bus, ComputeTopicDef, { server: 'h3' }).call('get_host_uptime', { ctx }));
    await bus.close();
    assert.ok(seen.some((s) => s.startsWith('terminate_instance:') && s.includes('i-9')));
  });

  it('representative payloads of every topic are plain JSON (a round trip keeps them equal)', () => {
    const build: BuildRequest = { ctx, instanceUuid: 'i-1', requestSpec: spec, alternates: [{ host: 'h2', node: 'n2' }], attempt: 1, tried: [] };
    const resize: ResizeArgs = { ctx, instanceUuid: 'i-1', migrationUuid: 'm-1', node: 'n2', requestSpec: spec, hostList: [], retry: { numAttempts: 1 } };
    const live: LiveMigrationArgs = { ctx, instanceUuid: 'i-1', migrationUuid: 'm-2', dest: 'h2', blockMigration: null, data: { blockMigration: true, waitForVifPlugged: true } };
    const payloads: [string, unknown][] = [
      ['conductor', { ...build } satisfies ConductorTopic['build_instances']['args']],
      ['conductor', { uuid: 'i-1', changes: { vmState: 'active', taskState: null }, expectedTaskState: ['spawning'] } satisfies ConductorTopic['instance_save']['args']],
      ['scheduler', { instanceUuid: 'i-1', host: 'h2', spec } satisfies SchedulerTopic['claim']['args']],
      ['compute', { ...build, node: 'n1' } satisfies ComputeTopic['build_and_run_instance']['args']],
      ['compute', resize satisfies ComputeTopic['prep_resize']['args']],
      ['compute', { ...live, data: { blockMigration: true } } satisfies ComputeTopic['pre_live_migration']['args']],
      ['compute', { ctx, events: [{ name: 'network-vif-plugged', tag: 'p1', status: 'completed', serverUuid: 'i-1' }] } satisfies ComputeTopic['external_instance_event']['args']],
      ['q-plugin', { devices: ['p1', 'p2'], agent_id: 'ovs-h1', host: 'h1', agent_restarted: true } satisfies PluginTopic['get_devices_details_list_and_failed_devices']['args']],
      ['q-plugin', { devices_up: ['p1'], devices_down: [], agent_id: 'ovs-h1', host: 'h1', refresh_tunnels: false } satisfies PluginTopic['update_device_list']['args']],
      [
        'q-reports-plugin',
        { agent_state: { agent_state: { agent_type: 'Open vSwitch agent', binary: 'neutron-openvswitch-agent', host: 'h1', topic: 'N/A', configurations: { bridge_mappings: {} }, start_flag: true } }, time: '2026-01-01T00:00:00.000000' } satisfies ReportsTopic['report_state']['args'],
      ],
      ['q-agent-notifier-port-update', { port: { id: 'p1', admin_state_up: true }, network_type: 'vxlan', segmentation_id: 100, physical_network: null }],
      ['q-agent-notifier-port_binding-deactivate', { port_id: 'p1', host: 'h1', network_id: 'n1' }],
    ];
    for (const [topic, p] of payloads) assert.deepEqual(JSON.parse(JSON.stringify(p)), p, topic);
  });
});
