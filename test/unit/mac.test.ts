import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/common/clock.js';
import { generateUniqueMac, randomMac } from '../../src/network/plugin/mac.js';

test('a generated MAC keeps base_mac\'s first three octets and randomises the rest', () => {
  const r = seededRandom(1);
  const macs = Array.from({ length: 200 }, () => randomMac('fa:16:3e:00:00:00', r));
  for (const m of macs) assert.match(m, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
  assert.ok(new Set(macs).size > 190, 'random part varies');
});

test('non-zero octets of base_mac beyond the third are kept, as neutron does', () => {
  assert.equal(randomMac('fa:16:3e:4f:00:00', seededRandom(2)).slice(0, 11), 'fa:16:3e:4f');
  assert.equal(randomMac('FA:16:3E:01:02:03', seededRandom(3)), 'fa:16:3e:01:02:03');
});

test('generation retries on collision and gives up after mac_generation_retries tries', async () => {
  let asked = 0;
  const taken = new Set<string>();
  const r = seededRandom(4);
  const first = await generateUniqueMac('fa:16:3e:00:00:00', r, 16, async (m) => (asked++, !taken.has(m)));
  assert.ok(first);
  assert.equal(asked, 1);
  asked = 0;
  const none = await generateUniqueMac('fa:16:3e:01:02:03', r, 16, async (m) => (asked++, m !== 'fa:16:3e:01:02:03'));
  assert.equal(none, null);
  assert.equal(asked, 16);
});
