/**
 * Interface-event benchmark on a private Open vSwitch (host_driver = linux): N times
 * `ovs-vsctl add-port br-int X` then `del-port`, each waiting for the linux host's
 * insert and delete events. Prints the time from the ovs-vsctl start to the insert event
 * and the CPU of this process and of its reaped children (the bench's own 2N ovs-vsctl
 * included). Root and openvswitch-switch needed; the ports name no device, so nothing is
 * made outside the sandbox, which is removed.
 *
 *   node --import tsx bench/interface-events-linux.ts [count=30]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InterfaceEvent } from '../src/hostnet/index.js';
import { LinuxHostNetwork } from '../src/hostnet/linux/index.js';
import { startOvsSandbox } from '../test/helpers/ovs.js';

const count = Number(process.argv[2] ?? 30);
/** CPU ms of the reaped children (/proc/self/stat cutime + cstime, in 10 ms ticks). */
const childCpuMs = () => {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
};

const ovs = await startOvsSandbox();
try {
  const vsctl = (...a: string[]) => execFileSync('ovs-vsctl', [`--db=${ovs.db}`, '--timeout=10', ...a], { stdio: 'ignore' });
  const linux = await LinuxHostNetwork.open('bench1', { db: ovs.db });
  const events: (InterfaceEvent & { at: number })[] = [];
  const stop = linux.onInterfaceChange((ev) => events.push({ ...ev, at: performance.now() }));
  while (!events.length) await sleep(5);
  const seen = async (name: string, action: string) => {
    for (;;) {
      const e = events.find((x) => x.name === name && x.action === action);
      if (e) return e;
      await sleep(1);
    }
  };
  const cpu0 = process.cpuUsage();
  const ch0 = childCpuMs();
  const lat: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `bench-ev${i}`;
    const t0 = performance.now();
    try {
      vsctl('add-port', 'br-int', name);
    } catch {
      /* ovs-vswitchd reports the missing device; the row is there */
    }
    const ins = await seen(name, 'insert');
    if (ins.bridge !== 'br-int') throw new Error(`${name}: bridge ${ins.bridge}`);
    lat.push(ins.at - t0);
    vsctl('del-port', 'br-int', name);
    await seen(name, 'delete');
  }
  stop();
  linux.close();
  await sleep(300);
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))]!.toFixed(1);
  console.log(`${count} add/del: insert seen p50 ${q(0.5)} ms, p90 ${q(0.9)} ms after ovs-vsctl started; CPU this process ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms, children ${childCpuMs() - ch0} ms`);
} finally {
  await ovs.stop();
}
