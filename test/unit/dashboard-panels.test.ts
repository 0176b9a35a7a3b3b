/**
 * The dashboard's server panels (dashboard/src/panels.ts) on the answers the operator
 * API may give: an endpoint not served yet (nova's generic 404) is "not available", an
 * endpoint's own 404 keeps its message, admin-only is said, and a trace's timed steps
 * become a chart whatever the step fields are called; a diagnosis and a repair report
 * are rendered in their documented shapes (findings by severity, exact command lines).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PANELS, esc, findSteps, renderAnswer, renderApplied } from '../../dashboard/src/panels.js';

const panel = (id: string) => PANELS.find((p) => p.id === id)!;

describe('dashboard panels', () => {
  test('a route nova does not have: not available, naming the endpoint', () => {
    const html = renderAnswer(panel('diagnose'), { status: 404, body: { itemNotFound: { code: 404, message: 'The resource could not be found.' } } });
    assert.match(html, /class="unavailable">not available: this Nimbus does not serve \/nimbus\/v1\/diagnose\/servers\/\{server\} yet/);
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

  test('a diagnosis: status, findings coloured by severity, fix lines, escaped', () => {
    const html = renderAnswer(panel('diagnose'), { status: 200, body: {
      object: { kind: 'server', id: 's1' }, status: 'problem',
      findings: [
        { cause: 'device-not-on-br-int', severity: 'problem', subject: 'p1', detail: 'Port p1\'s device is not on br-int of <c1>', fix: 'nimbus repair-vifs --port p1' },
        { cause: 'stale-devices', severity: 'warning', detail: 'qvo0 left' },
      ],
      facts: { host: 'c1' },
    } });
    assert.match(html, /class="diag-status problem" data-status="problem"/);
    assert.match(html, /<tr class="finding sev-problem" data-cause="device-not-on-br-int" data-severity="problem">/);
    assert.match(html, /class="finding sev-warning" data-cause="stale-devices"/);
    assert.match(html, /fix: <code>nimbus repair-vifs --port p1<\/code>/);
    assert.match(html, /of &#60;c1&#62;/);
    assert.match(renderAnswer(panel('diagnose'), { status: 200, body: { object: { kind: 'server', id: 's1' }, status: 'ok', findings: [{ cause: 'healthy', severity: 'info', detail: 'Nothing wrong' }], facts: {} } }), /data-status="ok"/);
  });

  test('a repair report: each difference with its exact command lines, stale devices, a Repair button only when there is something to do', () => {
    const line = 'sudo nova-rootwrap /etc/nova/rootwrap.conf ovs-vsctl -- --may-exist add-port br-int qvo1';
    const body = { hosts: [{ host: 'c1', vifs: [{ instanceUuid: 's1', instanceName: 'web1', portId: 'p1', differences: [{ kind: 'missing-ovs-port', device: 'qvo1', bridge: 'br-int', actualBridge: null, description: 'qvo1 is not on br-int', commands: [{ argv: ['ovs-vsctl'], line }] }] }],
      stale: [{ kind: 'stale-devices', device: 'qbr2', description: 'qbr2 belongs to no VIF', commands: [{ argv: ['ip', 'link', 'del', 'qbr2'], line: 'sudo nova-rootwrap /etc/nova/rootwrap.conf ip link del qbr2' }] }], skipped: [] }] };
    const html = renderAnswer(panel('repair'), { status: 200, body }, 's1');
    assert.match(html, /data-count="2">2 differences to repair <button class="repair-apply" type="button" data-server="s1">Repair<\/button>/);
    assert.ok(html.includes(`<pre class="cmd">${line}</pre>`), html);
    assert.match(html, /class="repair-stale"[\s\S]*qbr2 belongs to no VIF[\s\S]*ip link del qbr2/);
    const clean = renderAnswer(panel('repair'), { status: 200, body: { hosts: [{ host: 'c1', vifs: [], stale: [], skipped: [] }] } }, 's1');
    assert.match(clean, /data-count="0"><span class="ok">nothing to repair/);
    assert.doesNotMatch(clean, /repair-apply/);
    assert.match(renderAnswer(panel('repair'), { status: 200, body: { hosts: [{ host: 'c2', vifs: [], stale: [], skipped: [], error: 'compute c2 is down' }] } }), /class="error">compute c2 is down/);
  });

  test('a repair applied: commands run per host, failures and what is left said', () => {
    const ok = renderApplied({ status: 200, body: { hosts: [{ host: 'c1', before: null, results: [{ argv: ['ovs-vsctl'], ok: true, stdout: '', error: null }], after: { vifs: [], stale: [], skipped: [] } }] } });
    assert.match(ok, /data-ok="true"[\s\S]*c1: 1 command run</);
    const bad = renderApplied({ status: 200, body: { hosts: [{ host: 'c1', before: null, results: [{ argv: ['ip', 'link'], ok: false, stdout: '', error: 'RTNETLINK' }], after: { vifs: [{ differences: [{}] }], stale: [], skipped: [] } }] } });
    assert.match(bad, /data-ok="false"[\s\S]*failed: ip link: RTNETLINK[\s\S]*1 left/);
    assert.match(renderApplied({ status: 403, body: { forbidden: { code: 403, message: 'admin only' } } }), /Repair failed: admin only \(HTTP 403\)/);
  });
});
