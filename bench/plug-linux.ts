/**
 * VIF plug benchmark on this machine's real devices (host_driver = linux): N hybrid
 * plugs (qbr/qvb/qvo, br-int port with its external-ids) through nova's VIF driver on a
 * private Open vSwitch (scripts/ovs-sandbox.sh, netdev datapath), then N unplugs. Prints
 * the time per VIF each way, the commands per VIF (the argv nova gives) and the
 * processes the driver started for them (fewer: ip -batch, writes, OVSDB
 * transactions). Root and openvswitch-switch needed; everything it makes is removed.
 *
 *   node --import tsx bench/plug-linux.ts [count=20]     (NO_BATCH=1: one process per command)
 *
 * NETNS=1: the host is a network namespace with its own Open vSwitch
 * (scripts/host-netns.sh, [linux_host] netns), as with several hosts on one machine.
 */
import type { VIF } from '../src/compute/network/model.js';
import { plugVif, unplugVif } from '../src/compute/virt/vif.js';
import type { ExecuteOptions, HostNetwork, SequencedCommand } from '../src/hostnet/index.js';
import { LinuxHostNetwork } from '../src/hostnet/linux/index.js';
import { startHostNamespaces } from '../test/helpers/host-netns.js';
import { startOvsSandbox } from '../test/helpers/ovs.js';
import { hybridOvsVif } from '../test/helpers/vif-fixture.js';

const count = Number(process.argv[2] ?? 20);
const INSTANCE = 'bec0ffee-4b5a-4978-8a6b-5c4d3e2f1a00';
const netns = process.env['NETNS'] ? `nimbus-bench-${process.pid}` : null;

function vif(i: number): VIF {
  return hybridOvsVif({ id: `be${i.toString(16).padStart(6, '0')}-aaaa-4bbb-8ccc-000000000000`, address: `fa:16:3e:be:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`, mtu: 1450, datapathType: 'netdev' });
}

// A namespaced host has its own Open vSwitch (host-netns.ts); otherwise the machine-wide
// sandbox lock: another sandbox's br-int would collide with this one's.
const hosts = netns ? await startHostNamespaces('bench', ['bench']) : null;
const ovs = hosts ? null : await startOvsSandbox();
try {
  const place = hosts?.hosts[0];
  const real = await LinuxHostNetwork.open('bench', place ? { db: place.db, netns: place.netns } : { db: ovs!.db });
  let commands = 0;
  const host: HostNetwork = {
    host: real.host,
    execute: (argv: string[], opts?: ExecuteOptions) => (commands++, real.execute(argv, opts)),
    ...(process.env['NO_BATCH'] ? {} : { executeAll: (cmds: readonly SequencedCommand[]) => ((commands += cmds.length), real.executeAll(cmds)) }),
    onInterfaceChange: (l) => real.onInterfaceChange(l),
    snapshot: () => real.snapshot(),
  };
  const vifs = Array.from({ length: count }, (_, i) => vif(i));
  // open()'s own commands (the start-up check, br-int) are not the plugs'.
  const p0 = real.processesSpawned;
  let t0 = performance.now();
  for (const v of vifs) await plugVif(host, INSTANCE, v);
  const plugMs = performance.now() - t0;
  const plugCommands = commands;
  const plugProcesses = real.processesSpawned - p0;
  const ours = () => real.snapshot().linuxBridges.filter((b) => b.name.startsWith('qbrbe0')).length;
  const bridges = ours();
  t0 = performance.now();
  for (const v of vifs) await unplugVif(host, INSTANCE, v);
  const unplugMs = performance.now() - t0;
  console.log(`plugged ${count} hybrid VIFs (${bridges} qbr) in ${plugMs.toFixed(0)} ms: ${(plugMs / count).toFixed(1)} ms per VIF, ${(plugCommands / count).toFixed(0)} commands in ${(plugProcesses / count).toFixed(1)} processes per VIF`);
  console.log(`unplugged ${count} in ${unplugMs.toFixed(0)} ms: ${(unplugMs / count).toFixed(1)} ms per VIF, ${((commands - plugCommands) / count).toFixed(0)} commands in ${((real.processesSpawned - p0 - plugProcesses) / count).toFixed(1)} processes per VIF; ${ours()} of its qbr left`);
  real.close();
} finally {
  await hosts?.stop();
  await ovs?.stop();
}
