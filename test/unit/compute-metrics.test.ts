/**
 * The pure parts of nova-api's metrics: which exception class a fault counts under
 * (faultCause) and how create actions' events make boot results (bootResults).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootResults } from '../../src/compute/api/metrics.js';
import { BuildAbortException, NoValidHost } from '../../src/compute/errors.js';
import { faultCause, faultFromError } from '../../src/compute/objects/faults.js';

describe('faultCause', () => {
  it('names the class faultFromError records, for nova exceptions and others', () => {
    assert.equal(faultCause(faultFromError(new NoValidHost('There are not enough hosts available.'), null)), 'NoValidHost');
    const abort = faultFromError(new BuildAbortException('u1', 'boom'), 'compute1');
    assert.equal(faultCause(abort), 'BuildAbortException');
    const plain = new TypeError('x is undefined');
    assert.equal(faultCause(faultFromError(plain, 'compute1')), 'TypeError');
  });

  it('takes the last "Class: message" line: a multi-line message leaves its tail below it', () => {
    assert.equal(faultCause({ message: 'm', details: 'Traceback (most recent call last):\n    at f\nPortBindingFailed: Binding failed for port p1\nplease check neutron logs' }), 'PortBindingFailed');
    assert.equal(faultCause({ message: 'm', details: 'Traceback:\nnova.exception.NoValidHost: No valid host' }), 'NoValidHost');
  });

  it('without a class in the details: known messages, a bare class name, else Unknown', () => {
    assert.equal(faultCause({ message: 'No valid host was found. There are not enough hosts available.', details: '' }), 'NoValidHost');
    assert.equal(faultCause({ message: 'Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance u1.', details: null }), 'MaxRetriesExceeded');
    assert.equal(faultCause({ message: 'Build of instance u1 aborted: Failed to allocate the network(s), not rescheduling.', details: '' }), 'BuildAbortException');
    assert.equal(faultCause({ message: 'Virtual Interface creation failed', details: '' }), 'VirtualInterfaceCreateException');
    assert.equal(faultCause({ message: 'Binding failed for port p1, please check neutron logs for more information.', details: '' }), 'PortBindingFailed');
    assert.equal(faultCause({ message: 'ProcessExecutionError', details: '' }), 'ProcessExecutionError');
    assert.equal(faultCause({ message: 'something odd happened', details: '' }), 'Unknown');
  });
});

describe('bootResults', () => {
  it('counts a built boot as success (a reschedule included), a failed one as error, one under way as neither', () => {
    const r = bootResults([
      // built at once
      { actionId: 1, event: 'conductor_schedule_and_build_instances', result: 'Success' },
      { actionId: 1, event: 'compute__do_build_and_run_instance', result: 'Success' },
      // rescheduled once, then built
      { actionId: 2, event: 'compute__do_build_and_run_instance', result: 'Error' },
      { actionId: 2, event: 'compute__do_build_and_run_instance', result: 'Success' },
      // NoValidHost
      { actionId: 3, event: 'conductor_schedule_and_build_instances', result: 'Error' },
      // under way
      { actionId: 4, event: 'conductor_schedule_and_build_instances', result: 'Success' },
      { actionId: 4, event: 'compute__do_build_and_run_instance', result: null },
    ]);
    assert.deepEqual(r, { success: 2, error: 1 });
  });
});
