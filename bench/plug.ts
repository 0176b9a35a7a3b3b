/**
 * VIF plug benchmark on a simulated host: N hybrid plugs (qbr/qvb/qvo, br-int port with
 * its external-ids) through nova's VIF driver, then N unplugs. Prints the time per VIF
 * each way; it grows linearly unless something went O(n²).
 *
 *   node --import tsx bench/plug.ts [count=1000]
 */
import { seededRandom } from '../src/common/clock.js';
import type { VIF } from '../src/compute/network/model.js';
import { plugVif, unplugVif } from '../src/compute/virt/vif.js';
import { SimulatedHostNetwork } from '../src/hostnet/index.js';
import { hybridOvsVif } from '../test/helpers/vif-fixture.js';

const count = Number(process.argv[2] ?? 1000);
const INSTANCE = '0f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a00';

function vif(i: number): VIF {
  return hybridOvsVif({ id: `${i.toString(16).padStart(8, '0')}-aaaa-4bbb-8ccc-000000000000`, address: 'fa:16:3e:4c:2a:9b' });
}

const host = new SimulatedHostNetwork('bench', { random: seededRandom(3), tunnelTypes: ['vxlan'], bridgeMappings: { physnet1: 'br-phys' } });
const vifs = Array.from({ length: count }, (_, i) => vif(i));
let t0 = performance.now();
for (const v of vifs) await plugVif(host, INSTANCE, v);
const plugMs = performance.now() - t0;
const bridges = host.snapshot().linuxBridges.length;
t0 = performance.now();
for (const v of vifs) await unplugVif(host, INSTANCE, v);
const unplugMs = performance.now() - t0;
console.log(`plugged ${count} hybrid VIFs (${bridges} qbr) in ${plugMs.toFixed(1)} ms: ${((plugMs / count) * 1000).toFixed(1)} µs per VIF`);
console.log(`unplugged ${count} in ${unplugMs.toFixed(1)} ms: ${((unplugMs / count) * 1000).toFixed(1)} µs per VIF; ${host.snapshot().linuxBridges.length} qbr left`);
