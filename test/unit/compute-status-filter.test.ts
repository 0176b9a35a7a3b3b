/** statesForStatuses: the `?status=` mapping of nova's common.task_and_vm_state_from_status. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statesForStatuses } from '../../src/compute/objects/states.js';

describe('statesForStatuses', () => {
  it('maps plain statuses to whole vm_states, any case, sorted', () => {
    assert.deepEqual(statesForStatuses(['ACTIVE']), { vmStates: ['active'], taskStates: ['default'] });
    assert.deepEqual(statesForStatuses(['shutoff', 'Error']), { vmStates: ['error', 'stopped'], taskStates: ['default'] });
    assert.deepEqual(statesForStatuses(['BUILD']), { vmStates: ['building'], taskStates: ['default'] });
  });

  it('selects nothing for an unknown status', () => {
    assert.deepEqual(statesForStatuses(['bogus']), { vmStates: [], taskStates: [] });
  });
});
