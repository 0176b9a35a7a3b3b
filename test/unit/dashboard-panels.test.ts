/**
 * The dashboard's server panels (dashboard/src/panels.ts) on the answers the operator
 * API may give: an endpoint not served yet (nova's generic 404) is "not available", an
 * endpoint's own 404 keeps its message, admin-only is said, and a trace's timed steps
 * become a chart whatever the step fields are called.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PANELS, esc, findSteps, renderAnswer } from '../../dashboard/src/panels.js';

const panel = (id: string) => PANELS.find((p) => p.id === id)!;

describe('dashboard panels', () => {
  test('a route nova does not have: not available, naming the endpoint', () => {
    const html = renderAnswer(panel('diagnose'), { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } });
    assert.match(html, /class="unavailable">not available: this Nimbus does not serve \/nimbus\/v1\/diagnose\/server\/\{server\} yet/);
  });

  test('an endpoint\'s own 404 keeps its message; 403 is admin only; 500 an error', () => {
    assert.match(renderAnswer(panel('timeline'), { status: 404, body: { itemNotFound: { code: 404, message: 'No trace of server abc.' } } }), /not available: No trace of server abc\./);
    assert.match(renderAnswer(panel('faults'), { status: 403, body: { forbidden: { code: 403, message: 'Policy doesn\'t allow nimbus:ops to be performed.' } } }), /not available: admin only/);
    assert.match(renderAnswer(panel('repair'), { status: 500, body: { computeFault: { code: 500, message: 'boom' } } }), /class="error">boom \(HTTP 500\)/);
  });

  test('timed steps: found under any key, with durations from start/end', () => {
    const body = { trace: { request_id: 'req-1', spans: [
      { name: 'POST /servers', service: 'nova-api', start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:00:00.050Z' },
      { step: 'select_destinations', service: 'nova-scheduler', startMs: 1767225600060, durationMs: 20 },
    ] } };
    const steps = findSteps(body)!;
    assert.deepEqual(steps.map((s) => [s.name, s.service, s.duration]), [['POST /servers', 'nova-api', 50], ['select_destinations', 'nova-scheduler', 20]]);
    const html = renderAnswer(panel('timeline'), { status: 200, body });
    assert.match(html, /class="chart" data-steps="2"/);
    assert.match(html, /80 ms in all/);
  });

  test('an answer without timed steps is rendered as tables, escaped', () => {
    assert.equal(findSteps({ faults: [{ kind: 'agent-down', host: 'compute1' }] }), undefined);
    const html = renderAnswer(panel('faults'), { status: 200, body: { faults: [{ kind: 'agent-down', host: '<b>x</b>' }] } });
    assert.match(html, /<th>kind<\/th><th>host<\/th>/);
    assert.match(html, /&#60;b&#62;x&#60;\/b&#62;/);
    assert.equal(esc('"\''), '&#34;&#39;');
  });
});
