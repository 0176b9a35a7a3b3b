import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ProviderRequest } from '../../src/network/ml2/index.js';
import { type Fixture, ml2Fixture } from './ml2-fixtures.js';

let f: Fixture;
before(async () => {
  f = await ml2Fixture({ ml2: { flat_networks: ['public', 'physnet1'], network_vlan_ranges: ['physnet1:1000:2999', 'physnet2'] } });
});
after(() => f.close());

/** [request, neutron's full message] pairs, every one an InvalidInput (400). */
const cases: [ProviderRequest, string][] = [
  [{ physical_network: 'physnet1' }, 'network_type required'],
  [{ segmentation_id: 5 }, 'network_type required'],
  [{ network_type: 'gre' }, "network_type value 'gre' not supported"],
  [{ network_type: 'flat' }, 'physical_network required for flat provider network'],
  [{ network_type: 'flat', physical_network: 'other' }, "physical_network 'other' unknown for flat provider network"],
  [{ network_type: 'flat', physical_network: 'public', segmentation_id: 3 }, 'segmentation_id prohibited for flat provider network'],
  [{ network_type: 'vlan', physical_network: 'nope' }, "physical_network 'nope' unknown for VLAN provider network"],
  [{ network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 4095 }, 'segmentation_id out of range (1 through 4094)'],
  [{ network_type: 'vlan', physical_network: 'physnet1', segmentation_id: 0 }, 'segmentation_id out of range (1 through 4094)'],
  [{ network_type: 'vlan', segmentation_id: 10 }, 'segmentation_id requires physical_network for VLAN provider network'],
  [{ network_type: 'vxlan', physical_network: 'physnet1' }, 'provider:physical_network specified for vxlan network'],
  [{ network_type: 'local', physical_network: 'physnet1' }, 'physical_network prohibited for local provider network'],
  [{ network_type: 'local', segmentation_id: 4 }, 'segmentation_id prohibited for local provider network'],
];

describe('ml2 provider validation', () => {
  for (const [req, text] of cases) {
    it(`${JSON.stringify(req)} → ${text}`, () => {
      assert.throws(
        () => f.ml2.validateProviderRequest(req),
        (e: Error & { status?: number; type?: string }) => {
          assert.equal(e.type, 'InvalidInput');
          assert.equal(e.status, 400);
          assert.equal(e.message, `Invalid input for operation: ${text}.`);
          return true;
        },
      );
    });
  }

  it('accepts good requests and none at all', () => {
    for (const req of [
      {},
      { network_type: undefined, physical_network: null },
      { network_type: 'vxlan' },
      { network_type: 'vxlan', segmentation_id: 77 },
      { network_type: 'vlan' },
      { network_type: 'vlan', physical_network: 'physnet2', segmentation_id: 4094 },
      { network_type: 'flat', physical_network: 'public' },
      { network_type: 'local' },
    ] as ProviderRequest[]) {
      f.ml2.validateProviderRequest(req);
    }
  });

  it('refuses segments together with provider attributes, and duplicate segments', () => {
    assert.throws(
      () => f.ml2.validateProviderRequest({ network_type: 'vxlan', segments: [] }),
      (e: Error & { type?: string }) => e.type === 'SegmentsSetInConjunctionWithProviders' && e.message === 'Segments and provider values cannot both be set.',
    );
    assert.throws(
      () =>
        f.ml2.validateProviderRequest({
          segments: [
            { network_type: 'vxlan', segmentation_id: 9 },
            { network_type: 'vxlan', segmentation_id: 9 },
          ],
        }),
      (e: Error & { type?: string }) => e.type === 'SegmentsContainDuplicateEntry' && e.message === 'Duplicate segment entry in request.',
    );
    f.ml2.validateProviderRequest({ segments: [{ network_type: 'vxlan' }, { network_type: 'vxlan' }] });
  });
});
