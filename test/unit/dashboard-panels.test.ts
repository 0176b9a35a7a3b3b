/**
 * The dashboard's server panels (dashboard/src/panels.ts) on the answers the operator
 * API may give: an endpoint not served yet (nova's generic 404) is "not available", an
 * endpoint's own 404 keeps its message, admin-only is said, and a trace's timed steps
 * become a chart whatever the step fields are called; a diagnosis and a repair report
 * are rendered in their documented shapes (findings by severity, exact command lines);
 * a trace's timelines as a Gantt chart (critical path, failures, the create shown
 * first), the faults as a list with Clear buttons and an Add form whose kinds are nova's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FAULT_KINDS as KNOWN, faultRequest, renderFaultResult } from '../../dashboard/src/faults.js';
import { PANELS, esc, findSteps, renderAnswer, renderApplied } from '../../dashboard/src/panels.js';
import { defaultTimeline, renderTimelineChart, renderTimelines } from '../../dashboard/src/timeline.js';
import { FAULT_KINDS } from '../../src/common/faults.js';

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
    const html = renderAnswer(panel('timeline'), { status: 200, body: { faults: [{ kind: 'agent-down', host: '<b>x</b>' }] } });
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

  const step = (o: Record<string, unknown>) => ({ offset_ms: 0, service: 'nova-api', step: 's', duration_ms: 1, status: 'ok', critical: false, request_id: 'r', span_id: 'x', parent_id: null, detail: {}, ...o });
  const trace = {
    server: 's1',
    timelines: [
      { request_id: 'req-del', action: 'delete', started_at: '2026-01-01T00:01:00.000Z', duration_ms: 10, status: 'ok', steps: [step({ step: 'DELETE /v2.1/servers/{id}', duration_ms: 10 })] },
      { request_id: 'req-boot', action: 'create', started_at: '2026-01-01T00:00:00.000Z', duration_ms: 200, status: 'error', steps: [
        step({ step: 'POST /v2.1/servers', duration_ms: 20 }),
        step({ offset_ms: 30, service: 'nova-scheduler', step: 'select_destinations', duration_ms: 10, critical: true }),
        step({ offset_ms: 50, service: 'nova-compute', step: 'plug_vif', duration_ms: 100, status: 'error', critical: true }),
        step({ offset_ms: 190, service: 'nova-compute', step: 'external_event_received', duration_ms: 0, detail: { name: 'network-vif-plugged' } }),
      ] },
    ],
  };

  test('a timeline: the create shown by default, one placed bar per step, critical and failed marked, escaped', () => {
    assert.equal(defaultTimeline(trace.timelines as any), 1);
    assert.equal(defaultTimeline([trace.timelines[0]] as any), 0);
    const html = renderAnswer(panel('timeline'), { status: 200, body: trace });
    // The requests newest first, the create selected.
    assert.match(html, /<option value="0">delete · req-del[^<]*<\/option><option value="1" selected>create · req-boot[^<]*failed<\/option>/);
    assert.match(html, /class="chart timeline-chart" data-request="req-boot" data-steps="4"/);
    const rows = [...html.matchAll(/<div class="step ([^"]*)" data-index="(\d)" data-service="([^"]*)" data-step="([^"]*)" data-critical="(\w+)" data-status="(\w+)">/g)].map((m) => [m[1], m[3], m[4], m[5], m[6]]);
    assert.deepEqual(rows, [
      ['tl-step', 'nova-api', 'POST /v2.1/servers', 'false', 'ok'],
      ['tl-step critical', 'nova-scheduler', 'select_destinations', 'true', 'ok'],
      ['tl-step critical failed', 'nova-compute', 'plug_vif', 'true', 'error'],
      ['tl-step', 'nova-compute', 'external_event_received', 'false', 'ok'],
    ]);
    // x = offset, width = duration, over the request's 200 ms; failed red, others by service.
    assert.match(html, /left:25\.00%;width:50\.00%;background:#d33/);
    assert.match(html, /left:15\.00%;width:5\.00%;background:hsl\(/);
    // A zero-length step is still visible; the event's name is in its label.
    assert.match(html, /left:95\.00%;width:0\.40%/);
    assert.match(html, /nova-compute: external_event_received network-vif-plugged/);
    assert.match(renderTimelineChart(trace.timelines[0] as any), /data-request="req-del" data-steps="1"/);
    assert.match(renderTimelines({ timelines: [], warnings: ['<w>'] })!, /no trace recorded[\s\S]*&#60;w&#62;/);
    assert.match(renderTimelineChart({ ...trace.timelines[0], steps: [step({ service: '<x>', step: '<y>' })] } as any), /&#60;x&#62;: &#60;y&#62;/);
  });

  test('the faults: each with kind, host, uses and expiry and a Clear button, Clear all, the Add form with every kind', () => {
    const html = renderAnswer(panel('faults'), { status: 200, body: { faults: [
      { id: 'f1', kind: 'agent-down', host: 'compute1', params: {}, remaining: null, used: 0, seen: 0, created_at: 'x', expires_at: '2026-01-01T00:05:00.000Z' },
      { id: 'f2', kind: 'scheduler-delay', host: null, params: { delay: 2 }, remaining: 3, used: 1, seen: 1, created_at: 'x', expires_at: null },
    ] } });
    assert.match(html, /data-count="2">2 faults in force/);
    assert.match(html, /<tr class="fault" data-fault-id="f1" data-kind="agent-down"><td><code>agent-down<\/code><\/td><td>compute1<\/td><td>∞ \/ 0<\/td><td>2026-01-01T00:05:00.000Z<\/td><td><button class="fault-clear" type="button" data-id="f1">Clear<\/button>/);
    assert.match(html, /data-fault-id="f2"[\s\S]*delay=2[\s\S]*<td>—<\/td><td>3 \/ 1<\/td><td>never<\/td>/);
    assert.match(html, /class="faults-clear-all"/);
    for (const k of Object.keys(FAULT_KINDS)) assert.ok(html.includes(`<option value="${k}">`), k);
    const none = renderAnswer(panel('faults'), { status: 200, body: { faults: [] } });
    assert.match(none, /faults-none/);
    assert.doesNotMatch(none, /faults-clear-all/);
    assert.match(none, /class="fault-form"/);
  });

  test("the dashboard's fault kinds are nova-api's, with the same host requirement and parameters", () => {
    assert.deepEqual(Object.keys(KNOWN).sort(), Object.keys(FAULT_KINDS).sort());
    for (const [k, spec] of Object.entries(FAULT_KINDS)) {
      assert.equal(KNOWN[k]!.host, spec.host === 'required', k);
      assert.deepEqual(KNOWN[k]!.params.sort(), Object.keys(spec.params).sort(), k);
    }
  });

  test('the Add form as a request: empty fields left out, a host only for kinds that take one, numeric params as numbers', () => {
    assert.deepEqual(faultRequest({ kind: 'agent-down', host: ' compute1 ', count: '', ttl: '60', params: '' }), { kind: 'agent-down', host: 'compute1', ttl: 60 });
    assert.deepEqual(faultRequest({ kind: 'scheduler-delay', host: 'compute1', count: '2', params: 'delay=1.5' }), { kind: 'scheduler-delay', count: 2, delay: 1.5 });
    assert.deepEqual(faultRequest({ kind: 'neutron-call-fail', params: 'call=create_port, status=409' }), { kind: 'neutron-call-fail', call: 'create_port', status: 409 });
    assert.match(renderFaultResult('Added agent-down', { status: 201, body: { fault: { id: 'f9' } } }), /data-ok="true">Added agent-down \(f9\)/);
    assert.match(renderFaultResult('Added x', { status: 400, body: { badRequest: { code: 400, message: "Fault agent-down needs 'host'." } } }), /data-ok="false">Added x failed: Fault agent-down needs &#39;host&#39;\. \(HTTP 400\)/);
  });
});
