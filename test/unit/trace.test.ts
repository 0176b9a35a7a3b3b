/**
 * The trace recorder (src/common/trace.ts): steps buffered off the hot path and written
 * in one batch after flush_ms (driven by a fake clock), nesting and root ids derived from
 * the request id, nothing recorded when disabled; the nimbus_trace_events store on
 * SQLite (chunked inserts, lookups by instance and request, pruning); and the timelines
 * (grouping by action, critical path).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { silentLogger } from '../../src/common/log.js';
import { type TraceEvent, TraceRecorder, rootSpanId, traceIdOf } from '../../src/common/trace.js';
import { buildTimelines, criticalPath } from '../../src/compute/api/ops/trace-timeline.js';
import { migrate, openDatabase } from '../../src/db/database.js';
import { insertTraceEvents, listTraceEvents, pruneTraceEvents, traceEventsMigration } from '../../src/db/trace-events.js';

const REQ = 'req-0123abcd-0000-4000-8000-00000000beef';
const VM = '11111111-2222-3333-4444-555555555555';

function recorder(clock: FakeClock, enabled = true) {
  const batches: TraceEvent[][] = [];
  const r = new TraceRecorder({
    clock,
    random: seededRandom(1),
    log: silentLogger(),
    name: 'test',
    cfg: { enabled, flush_ms: 100, max_age_s: 60, otlp_endpoint: '' },
    sink: async (events) => void batches.push(events),
  });
  return { r, batches };
}

describe('trace recorder', () => {
  it('buffers steps and writes them in one batch after flush_ms, nested under the request root', async () => {
    const clock = new FakeClock();
    const { r, batches } = recorder(clock);
    r.noteRequest(REQ, VM, 'create');
    const at = r.now();
    const outer = r.start({ requestId: REQ, instanceUuid: VM }, 'nova-compute', 'build');
    clock.advance(5);
    await r.span(outer.scope, 'nova-compute', 'spawn', async () => clock.advance(3));
    r.point(outer.scope, 'neutron-server', 'port_status', { status: 'ACTIVE' });
    outer.end({ result: 'active' });
    r.endRequest(REQ, 'nova-api', 'POST /v2.1/servers', at, 202);
    assert.equal(batches.length, 0, 'nothing written on the hot path');
    clock.advance(100);
    await r.flush();
    assert.equal(batches.length, 1);
    const [spawn, point, build, root] = batches[0]!;
    assert.deepEqual([spawn!.step, point!.step, build!.step, root!.step], ['spawn', 'port_status', 'build', 'POST /v2.1/servers']);
    assert.equal(spawn!.parentId, build!.spanId);
    assert.equal(build!.parentId, rootSpanId(REQ));
    assert.equal(root!.spanId, rootSpanId(REQ));
    assert.equal(root!.parentId, null);
    assert.equal(root!.instanceUuid, VM);
    assert.equal(spawn!.durationMs, 3);
    assert.ok(build!.startedAt > root!.startedAt && spawn!.startedAt > build!.startedAt, 'stamps keep the order within a millisecond');
    assert.equal(traceIdOf(REQ), '0123abcd000040008000' + '00000000beef');
  });

  it('records a failed step with its error, and nothing at all when disabled', async () => {
    const clock = new FakeClock();
    const { r, batches } = recorder(clock);
    await assert.rejects(r.span({ requestId: REQ }, 'nova', 'neutron PUT /v2.0/ports/{id}', async () => Promise.reject(new Error('boom'))));
    await r.flush();
    assert.equal(batches[0]![0]!.status, 'error');
    assert.equal(batches[0]![0]!.detail!.error, 'Error: boom');
    const off = recorder(clock, false);
    off.r.point({ requestId: REQ }, 'x', 'y');
    await off.r.span({ requestId: REQ }, 'x', 'z', async () => 1);
    await off.r.flush();
    assert.equal(off.batches.length, 0);
    assert.equal(clock.pending, 0);
  });
});

describe('nimbus_trace_events store', () => {
  it('writes batches larger than one INSERT, reads by instance and request, prunes by age', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-'));
    const db = openDatabase<any>(`sqlite://${join(dir, 't.sqlite')}`);
    try {
      await migrate(db.kysely as never, { '001': traceEventsMigration }, 'test');
      const events: TraceEvent[] = Array.from({ length: 450 }, (_, i) => ({
        spanId: `s${i}`,
        parentId: null,
        requestId: i % 2 ? REQ : 'req-other',
        instanceUuid: i < 10 ? VM : null,
        service: 'nova',
        step: `step${i}`,
        status: 'ok',
        startedAt: 1000 + i + 0.5,
        durationMs: 1.25,
        detail: { i },
      }));
      await insertTraceEvents(db.kysely, events);
      assert.equal((await listTraceEvents(db.kysely, { instanceUuid: VM })).length, 10);
      const withRequest = await listTraceEvents(db.kysely, { instanceUuid: VM, requestIds: [REQ] });
      assert.equal(withRequest.length, 5 + 225);
      assert.deepEqual(withRequest[0], { ...events[0], detail: { i: 0 } });
      await pruneTraceEvents(db.kysely, 1005);
      assert.equal((await listTraceEvents(db.kysely, { instanceUuid: VM })).length, 5);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('timelines', () => {
  const ev = (spanId: string, requestId: string, step: string, startedAt: number, durationMs: number, parentId: string | null, detail: Record<string, unknown> = {}): TraceEvent => ({
    spanId,
    parentId,
    requestId,
    instanceUuid: VM,
    service: 's',
    step,
    status: 'ok',
    startedAt,
    durationMs,
    detail,
  });

  it('groups steps by action (steps of other requests by time), newest first, with the critical path', () => {
    const events = [
      ev('r1', 'req-a', 'POST', 0, 10, null, { action: 'create' }),
      ev('b', 'req-a', 'build', 11, 50, 'r1'),
      ev('alloc', 'req-a', 'allocate', 12, 10, 'b'),
      ev('other', 'req-a', 'side', 12, 2, 'b'),
      ev('plug', 'req-a', 'plug', 25, 5, 'b'),
      ev('active', 'req-neutron', 'port_status', 35, 0, null),
      ev('done', 'req-a', 'task_state', 60, 0, 'b'),
      ev('r2', 'req-b', 'DELETE', 100, 5, null, { action: 'delete' }),
      ev('gone', 'req-n2', 'port_deleted', 104, 0, null),
    ].map((e) => (e.spanId === 'active' || e.spanId === 'gone' ? { ...e, parentId: 'x' } : e));
    const tls = buildTimelines(events);
    assert.deepEqual(tls.map((t) => [t.request_id, t.action, t.steps.map((s) => s.span_id)]), [
      ['req-b', 'delete', ['r2', 'gone']],
      ['req-a', 'create', ['r1', 'b', 'alloc', 'other', 'plug', 'active', 'done']],
    ]);
    assert.deepEqual([...criticalPath(events.filter((e) => e.requestId !== 'req-b' && e.spanId !== 'gone'))].sort(), ['active', 'alloc', 'done', 'plug']);
    assert.deepEqual(buildTimelines(events, 'req-b').map((t) => t.request_id), ['req-b']);
  });
});
