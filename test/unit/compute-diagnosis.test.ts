/**
 * The cause-deciding functions of `nimbus diagnose` (src/compute/diagnosis/findings.ts),
 * fed facts directly, and the CLI's usage errors (exit 2) before any login.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnoseCommand } from '../../src/cli/ops/diagnose.js';
import { runOpsCommand } from '../../src/cli/ops/command.js';
import {
  type HostFacts,
  type NeutronPortDiagnosis,
  type VifPlugFacts,
  bindingFailedHosts,
  bindingNowFindings,
  conclude,
  deviceFindings,
  hostFindings,
  hostsTried,
  isVifPlugFailure,
  noValidHostFindings,
  portFindings,
  vifPlugFindings,
} from '../../src/compute/diagnosis/findings.js';
import { repairCommand } from '../../src/compute/repair/differences.js';
import type { HostState } from '../../src/compute/scheduler/host-state.js';
import { runFilters } from '../../src/compute/scheduler/filters.js';

const causes = (fs: { cause: string }[]) => fs.map((f) => f.cause);

function hostState(host: string, over: Partial<HostState> = {}): HostState {
  return {
    host,
    node: host,
    availabilityZone: 'nova',
    serviceDisabled: false,
    disabledReason: null,
    serviceUp: true,
    totalVcpus: 8,
    totalRamMb: 4096,
    totalDiskGb: 100,
    usedVcpus: 0,
    usedRamMb: 0,
    usedDiskGb: 0,
    cpuAllocationRatio: 1,
    ramAllocationRatio: 1,
    diskAllocationRatio: 1,
    ...over,
  };
}

describe('conclude', () => {
  it('is ok with one healthy finding when nothing is found, problem when a finding is', () => {
    const ok = conclude('host', 'h1', [], {});
    assert.equal(ok.status, 'ok');
    assert.deepEqual(causes(ok.findings), ['healthy']);
    assert.equal(conclude('host', 'h1', [{ cause: 'x', severity: 'warning', detail: '' }], {}).status, 'ok');
    assert.equal(conclude('host', 'h1', [{ cause: 'x', severity: 'problem', detail: '' }], {}).status, 'problem');
  });
});

describe('noValidHostFindings', () => {
  const flavor = { name: 'big', vcpus: 2, memory_mb: 8192, root_gb: 10 };
  const fault = { message: 'No valid host was found. There are not enough hosts available.', details: null };
  const spec = { instanceUuid: 'i1', projectId: 'p', flavor: { ...flavor, ephemeral_gb: 0, swap: 0 }, availabilityZone: null, ignoreHosts: [], numInstances: 1 };

  it('names each host with the filter that removed it now, with the numbers', () => {
    const result = runFilters([hostState('c1'), hostState('c2', { serviceUp: false, totalRamMb: 16384 })], spec);
    const fs = noValidHostFindings(fault, result, flavor);
    assert.deepEqual(causes(fs), ['no-valid-host', 'host-filtered', 'host-filtered']);
    assert.equal(fs[1]!.subject, 'c1');
    assert.equal(fs[1]!.detail, 'now: MEMORY_MB removes c1: (c1, c1) has 4096 MB RAM usable, needs 8192');
    assert.match(fs[1]!.fix!, /smaller flavor than big/);
    assert.equal(fs[2]!.detail, 'now: ComputeFilter removes c2: (c2, c2) has not been heard from in a while');
    assert.match(fs[2]!.fix!, /compute service set --enable/);
  });

  it('says when hosts would fit now', () => {
    const fs = noValidHostFindings(fault, runFilters([hostState('c1', { totalRamMb: 16384 })], spec), flavor);
    assert.deepEqual(causes(fs), ['no-valid-host', 'hosts-fit-now']);
    assert.equal(fs[1]!.severity, 'info');
  });
});

describe('a build that failed binding', () => {
  const details = ['Traceback (most recent call last):', 'Hosts tried:', '  c1: Binding failed for port p1, please check neutron logs for more information.', '  c2: Insufficient compute resources', 'MaxRetriesExceeded: Exceeded maximum number of retries.'].join('\n');

  it('reads the hosts tried from the fault details', () => {
    assert.deepEqual(hostsTried(details), [
      { host: 'c1', reason: 'Binding failed for port p1, please check neutron logs for more information.' },
      { host: 'c2', reason: 'Insufficient compute resources' },
    ]);
    assert.deepEqual(hostsTried(null), []);
  });

  it('the hosts where binding failed: tried hosts by reason, else the fault host of a PortBindingFailed', () => {
    assert.deepEqual(bindingFailedHosts({ message: 'Exceeded maximum number of retries.', details, host: null }), ['c1']);
    assert.deepEqual(bindingFailedHosts({ message: 'Binding failed for port p1, please check neutron logs for more information.', details: '', host: 'c2' }), ['c2']);
    assert.deepEqual(bindingFailedHosts({ message: 'No valid host was found. ', details: '', host: null }), []);
  });

  it("neutron's findings for a would-be port, labelled now, about the host", () => {
    const fs = bindingNowFindings('c1', 'n1', [{ cause: 'physnet-not-mapped', message: 'm', fix: { file: 'openvswitch_agent.ini', section: 'ovs', option: 'bridge_mappings', suggested: 'bridge_mappings = physnet2:br-ex' } }]);
    assert.deepEqual(fs, [{ cause: 'physnet-not-mapped', severity: 'problem', subject: 'c1', detail: 'now, a port of network n1 on c1: m', fix: 'openvswitch_agent.ini [ovs] bridge_mappings = physnet2:br-ex' }]);
  });
});

describe('portFindings', () => {
  const base: NeutronPortDiagnosis = { port: { id: 'p1', status: 'DOWN', admin_state_up: true }, segments: [], agents: [], binding_findings: [], status_findings: [] };

  it('turns binding causes into problems with the config line, dropping the status finding that only points at them', () => {
    const fs = portFindings({
      ...base,
      binding_findings: [{ cause: 'tunnel-type-not-configured', message: 'm', fix: { file: 'openvswitch_agent.ini', section: 'agent', option: 'tunnel_types', suggested: 'tunnel_types = vxlan' } }],
      status_findings: [{ cause: 'binding-failed', message: 'b' }],
    });
    assert.deepEqual(fs, [{ cause: 'tunnel-type-not-configured', severity: 'problem', detail: 'm', fix: 'openvswitch_agent.ini [agent] tunnel_types = vxlan', subject: 'p1' }]);
  });

  it('admin-down is a problem with the command; awaiting the agent only a warning', () => {
    const fs = portFindings({ ...base, status_findings: [{ cause: 'admin-state-down', message: 'a' }, { cause: 'awaiting-agent', message: 'w' }] });
    assert.deepEqual(fs.map((f) => [f.cause, f.severity, f.fix]), [['admin-state-down', 'problem', 'openstack port set --enable p1'], ['awaiting-agent', 'warning', undefined]]);
  });
});

describe('vifPlugFindings: where the network-vif-plugged chain stopped', () => {
  const timeoutFault = { message: 'Build of instance i1 aborted: Failed to allocate the network(s), not rescheduling.', details: null };
  const facts = (over: Partial<VifPlugFacts>): VifPlugFacts => ({ fault: timeoutFault, host: 'c1', notifierEnabled: true, vifPluggingTimeout: 300, agents: [{ agent_type: 'Open vSwitch agent', alive: true }], ports: [], ...over });

  it('recognises the timeout fault', () => {
    assert.ok(isVifPlugFailure(timeoutFault));
    assert.ok(!isVifPlugFailure({ message: 'No valid host was found. ', details: null }));
    assert.ok(!isVifPlugFailure(null));
  });

  it('the notifier off is the cause, with its config line', () => {
    const fs = vifPlugFindings(facts({ notifierEnabled: false }));
    assert.deepEqual(causes(fs), ['vif-plug-timeout', 'nova-notifier-disabled']);
    assert.equal(fs[1]!.severity, 'problem');
    assert.equal(fs[1]!.fix, 'neutron.conf [DEFAULT] notify_nova_on_port_status_changes = true');
  });

  it('the agent down or missing on the host', () => {
    assert.deepEqual(causes(vifPlugFindings(facts({ agents: [{ agent_type: 'Open vSwitch agent', alive: false }] }))), ['vif-plug-timeout', 'l2-agent-dead']);
    assert.deepEqual(causes(vifPlugFindings(facts({ agents: [] }))), ['vif-plug-timeout', 'no-l2-agent']);
  });

  it('a device never on br-int, a port admin-down', () => {
    const fs = vifPlugFindings(facts({ fault: null, ports: [{ id: 'p1', status: 'DOWN', admin_state_up: false, vif_type: 'ovs', onIntegrationBridge: false }] }));
    assert.deepEqual(causes(fs), ['admin-state-down', 'device-not-on-br-int']);
    assert.equal(fs[1]!.fix, 'nimbus repair-vifs --port p1');
  });

  it('every link holding now: a transient break, a warning', () => {
    const fs = vifPlugFindings(facts({}));
    assert.deepEqual(fs.map((f) => [f.cause, f.severity]), [['vif-plug-timeout', 'problem'], ['vif-plug-timeout', 'warning']]);
    assert.match(fs[1]!.detail, /transient/);
  });
});

describe('deviceFindings', () => {
  it('a qvo off br-int is device-not-on-br-int with the rootwrap lines', () => {
    const fs = deviceFindings('p1', 'c1', [{ kind: 'missing-ovs-port', device: 'qvop1', bridge: 'br-int', actualBridge: null, commands: [repairCommand({ argv: ['ovs-vsctl', 'add-port', 'br-int', 'qvop1'] })] }]);
    assert.deepEqual(fs, [{ cause: 'device-not-on-br-int', severity: 'problem', subject: 'p1', detail: 'on c1: qvop1 is not a port of br-int', fix: 'sudo nova-rootwrap /etc/nova/rootwrap.conf ovs-vsctl add-port br-int qvop1' }]);
  });
});

describe('hostFindings', () => {
  const ovs = { id: 'a1', agent_type: 'Open vSwitch agent', alive: true, configurations: {} };
  const facts = (over: Partial<HostFacts>): HostFacts => ({ host: 'c1', service: { up: true, disabled: false, disabledReason: null, forcedDown: false }, agents: [ovs], ports: [], devicesReadable: true, stale: [], ...over });

  it('a healthy host has no finding', () => {
    assert.deepEqual(hostFindings(facts({})), []);
  });

  it('compute down, disabled, missing', () => {
    assert.deepEqual(causes(hostFindings(facts({ service: { up: false, disabled: true, disabledReason: 'maint', forcedDown: true } }))), ['compute-service-down', 'compute-service-disabled']);
    assert.deepEqual(causes(hostFindings(facts({ service: null }))), ['compute-service-missing']);
  });

  it('agent dead or absent; ports binding_failed or not ACTIVE; stale devices', () => {
    assert.deepEqual(causes(hostFindings(facts({ agents: [{ ...ovs, alive: false }] }))), ['l2-agent-dead']);
    assert.deepEqual(causes(hostFindings(facts({ agents: [] }))), ['no-l2-agent']);
    const fs = hostFindings(
      facts({
        ports: [
          { id: 'p1', status: 'DOWN', vif_type: 'binding_failed', device_id: 'i1' },
          { id: 'p2', status: 'DOWN', vif_type: 'ovs', device_id: 'i2' },
          { id: 'p3', status: 'ACTIVE', vif_type: 'ovs', device_id: 'i3' },
        ],
        stale: [{ portIdPrefix: 'abc', devices: ['qbrabc'] }],
      }),
    );
    assert.deepEqual(fs.map((f) => [f.cause, f.subject, f.severity]), [['port-binding-failed', 'p1', 'problem'], ['port-not-active', 'p2', 'warning'], ['stale-devices', 'c1', 'warning']]);
  });
});

describe('nimbus diagnose: usage', () => {
  const io = () => {
    const errs: string[] = [];
    return { errs, out: () => {}, err: (l: string) => errs.push(l), env: {} };
  };
  it('exits 2 on a wrong kind, a missing or extra ID, a bad format; --help exits 0', async () => {
    for (const argv of [['volume', 'x'], ['server'], ['server', 'a', 'b'], ['server', 'a', '-f', 'yaml'], []]) {
      const i = io();
      assert.equal(await runOpsCommand('diagnose', diagnoseCommand, argv, i), 2, argv.join(' '));
      assert.ok(i.errs.length > 0);
    }
    const out: string[] = [];
    assert.equal(await runOpsCommand('diagnose', diagnoseCommand, ['--help'], { out: (l) => out.push(l), err: () => {}, env: {} }), 0);
    assert.match(out[0]!, /^usage: nimbus diagnose server\|port\|host ID/);
  });
});
