/**
 * The panels of a selected server, each from one operator endpoint of /nimbus/v1 (admin
 * only): its boot timeline (traces), the diagnosis, the repair report and the faults
 * injected. Each is rendered in its documented shape: the timeline as a Gantt chart
 * (timeline.ts), the diagnosis (src/compute/diagnosis/findings.ts), the repair report
 * (src/compute/api/ops/repair-vifs.ts) with a Repair button that applies it, the faults
 * with their Clear buttons and an Add form (faults.ts). An answer of another shape falls
 * back to a generic rendering (tables for lists, a bar chart for anything that looks like
 * timed steps); an endpoint this Nimbus does not serve (404) shows "not available".
 */
import { type Answer, type Session, call, errorMessage } from './api.js';
import { faultRequest, renderFaultResult, renderFaults } from './faults.js';
import { esc } from './html.js';
import { renderTimelineChart, renderTimelines } from './timeline.js';

export { esc };

/** One panel of a selected server: the operator endpoint it reads. */
export interface PanelDef {
  id: 'timeline' | 'diagnose' | 'repair' | 'faults';
  title: string;
  path(serverId: string): string;
}

/** The panels, in the order shown. */
export const PANELS: PanelDef[] = [
  { id: 'timeline', title: 'Boot timeline', path: (id) => `/nimbus/v1/traces/${encodeURIComponent(id)}` },
  { id: 'diagnose', title: 'Diagnosis', path: (id) => `/nimbus/v1/diagnose/servers/${encodeURIComponent(id)}` },
  { id: 'repair', title: 'VIF repair report', path: (id) => `/nimbus/v1/repair-vifs?server=${encodeURIComponent(id)}` },
  { id: 'faults', title: 'Injected faults', path: () => '/nimbus/v1/faults' },
];

/** A step of a timeline, whatever the trace format calls its fields. */
interface Step {
  name: string;
  start: number;
  duration: number;
  service: string;
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '') {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return t;
    const n = Number(v);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
};

/** Finds a list of timed steps in a trace answer (spans, steps, events...), or undefined. */
export function findSteps(body: unknown): Step[] | undefined {
  const queue: unknown[] = [body];
  while (queue.length) {
    const v = queue.shift();
    if (Array.isArray(v) && v.length && v.every((x) => x && typeof x === 'object')) {
      const steps = v.map((x: Record<string, unknown>) => {
        const start = num(x.start ?? x.startMs ?? x.start_ms ?? x.started_at ?? x.startTime ?? x.at ?? x.time ?? x.timestamp);
        const end = num(x.end ?? x.endMs ?? x.end_ms ?? x.finished_at ?? x.endTime);
        const duration = num(x.duration ?? x.durationMs ?? x.duration_ms ?? x.ms) ?? (start !== undefined && end !== undefined ? end - start : 0);
        const name = String(x.name ?? x.step ?? x.event ?? x.what ?? x.operation ?? '');
        return start === undefined ? undefined : { name, start, duration: Math.max(0, duration), service: String(x.service ?? x.svc ?? x.component ?? '') };
      });
      if (steps.every((s) => s !== undefined)) return steps as Step[];
    } else if (v && typeof v === 'object') {
      queue.push(...Object.values(v));
    }
  }
  return undefined;
}

/** A horizontal bar per step, placed by its start and width by its duration. */
function renderChart(steps: Step[]): string {
  const t0 = Math.min(...steps.map((s) => s.start));
  const t1 = Math.max(...steps.map((s) => s.start + s.duration));
  const span = Math.max(1, t1 - t0);
  const rows = steps
    .map((s) => {
      const left = ((s.start - t0) / span) * 100;
      const width = Math.max(0.5, (s.duration / span) * 100);
      return `<div class="step"><span class="step-name" title="${esc(s.service)}">${esc(s.service ? `${s.service}: ` : '')}${esc(s.name)}</span><span class="step-track"><span class="bar svc-${esc(s.service.replace(/[^a-z0-9-]/gi, ''))}" style="left:${left}%;width:${width}%"></span></span><span class="step-ms">${Math.round(s.duration)} ms</span></div>`;
    })
    .join('');
  return `<div class="chart" data-steps="${steps.length}">${rows}<div class="chart-total">${Math.round(span)} ms in all</div></div>`;
}

/** Any JSON value as HTML: lists of objects as tables, objects as key/value lists. */
export function renderValue(v: unknown, depth = 0): string {
  if (v === null || v === undefined) return '<span class="muted">—</span>';
  if (typeof v !== 'object') return esc(v);
  if (depth > 4) return `<code>${esc(JSON.stringify(v))}</code>`;
  if (Array.isArray(v)) {
    if (v.length === 0) return '<span class="muted">none</span>';
    if (v.every((x) => x && typeof x === 'object' && !Array.isArray(x))) {
      const keys = [...new Set(v.flatMap((x) => Object.keys(x)))];
      const head = keys.map((k) => `<th>${esc(k)}</th>`).join('');
      const body = v.map((x) => `<tr>${keys.map((k) => `<td>${renderValue(x[k], depth + 1)}</td>`).join('')}</tr>`).join('');
      return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
    }
    return `<ul>${v.map((x) => `<li>${renderValue(x, depth + 1)}</li>`).join('')}</ul>`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '<span class="muted">none</span>';
  return `<dl>${entries.map(([k, x]) => `<dt>${esc(k)}</dt><dd>${renderValue(x, depth + 1)}</dd>`).join('')}</dl>`;
}

const SEVERITIES = ['problem', 'warning', 'info'];

/** GET /nimbus/v1/diagnose/servers/{id}: the status, then one row per finding coloured by severity, with its fix. */
export function renderDiagnosis(body: any): string | undefined {
  if (!body || !Array.isArray(body.findings)) return undefined;
  const status = body.status === 'problem' ? 'problem' : 'ok';
  const rows = (body.findings as any[])
    .map((f) => {
      const sev = SEVERITIES.includes(f.severity) ? f.severity : 'info';
      return `<tr class="finding sev-${sev}" data-cause="${esc(f.cause)}" data-severity="${sev}"><td><span class="sev">${esc(sev)}</span></td><td><code>${esc(f.cause)}</code>${f.subject ? `<div class="muted">${esc(f.subject)}</div>` : ''}</td><td>${esc(f.detail)}${f.fix ? `<div class="fix">fix: <code>${esc(f.fix)}</code></div>` : ''}</td></tr>`;
    })
    .join('');
  return `<p class="diag-status ${status}" data-status="${status}">${status === 'ok' ? 'ok' : 'problem'}</p>
    <table class="findings"><thead><tr><th>severity</th><th>cause</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>
    <details><summary>facts</summary>${renderValue(body.facts)}</details>`;
}

/** A difference's sentence and the exact command lines that repair it. */
function renderDifference(d: any): string {
  const cmds = ((d.commands ?? []) as any[]).map((c) => `<pre class="cmd">${esc(c.line ?? (c.argv ?? []).join(' '))}</pre>`).join('');
  return `<li class="difference" data-kind="${esc(d.kind)}" data-device="${esc(d.device ?? '')}">${esc(d.description ?? d.kind)}${cmds}</li>`;
}

/** How many things a repair report would change (VIF differences and stale devices). */
export function repairCount(body: any): number {
  const hosts: any[] = Array.isArray(body?.hosts) ? body.hosts : [];
  return hosts.reduce((n, h) => n + (h.vifs ?? []).reduce((m: number, v: any) => m + (v.differences ?? []).length, 0) + (h.stale ?? []).length, 0);
}

/** GET /nimbus/v1/repair-vifs?server=: per host, each VIF's differences with their commands, stale devices, skipped instances. */
export function renderRepair(body: any, serverId?: string): string | undefined {
  if (!body || !Array.isArray(body.hosts)) return undefined;
  const count = repairCount(body);
  const hosts = (body.hosts as any[])
    .map((h) => {
      const vifs = ((h.vifs ?? []) as any[])
        .map((v) => `<div class="repair-vif" data-port="${esc(v.portId)}"><b>${esc(v.instanceName)}</b> port <span title="${esc(v.portId)}">${esc(String(v.portId).slice(0, 8))}</span><ul>${((v.differences ?? []) as any[]).map(renderDifference).join('')}</ul></div>`)
        .join('');
      const stale = (h.stale ?? []).length ? `<div class="repair-stale"><b>stale devices</b> (removed only when asked: <code>removeStale</code>)<ul>${(h.stale as any[]).map(renderDifference).join('')}</ul></div>` : '';
      const skipped = (h.skipped ?? []).length ? `<div class="muted">skipped: ${(h.skipped as any[]).map((k) => `${esc(k.instanceName)} (${esc(k.reason)})`).join(', ')}</div>` : '';
      const error = h.error ? `<p class="error">${esc(h.error)}</p>` : '';
      return `<div class="repair-host" data-host="${esc(h.host)}"><h4>${esc(h.host)}</h4>${error}${vifs}${stale}${skipped}${vifs || stale || skipped || error ? '' : '<span class="ok">nothing to repair</span>'}</div>`;
    })
    .join('');
  const button = count && serverId ? `<button class="repair-apply" type="button" data-server="${esc(serverId)}">Repair</button>` : '';
  return `<p class="repair-summary" data-count="${count}">${count ? `${count} difference${count > 1 ? 's' : ''} to repair` : '<span class="ok">nothing to repair</span>'} ${button}</p>${hosts}`;
}

/** POST /nimbus/v1/repair-vifs's answer in a line per host: commands run, failures, what is left. */
export function renderApplied(a: Answer): string {
  if (a.status >= 400) return `<p class="error repair-result" data-ok="false">Repair failed: ${esc(errorMessage(a))} (HTTP ${a.status})</p>`;
  const hosts: any[] = Array.isArray(a.body?.hosts) ? a.body.hosts : [];
  let ok = true;
  const lines = hosts.map((h) => {
    const results: any[] = h.results ?? [];
    const failed = results.filter((r) => !r.ok);
    const left = h.after ? repairCount({ hosts: [h.after] }) : 0;
    if (h.error || failed.length || left) ok = false;
    return `<li>${esc(h.host)}: ${results.length} command${results.length === 1 ? '' : 's'} run${failed.length ? `, <span class="error">failed: ${failed.map((r) => esc(`${(r.argv ?? []).join(' ')}: ${r.error ?? ''}`)).join('; ')}</span>` : ''}${left ? `, ${left} left` : ''}${h.error ? ` <span class="error">${esc(h.error)}</span>` : ''}</li>`;
  });
  return `<div class="repair-result" data-ok="${ok}"><b>Repair applied</b><ul>${lines.join('') || '<li>nothing to do</li>'}</ul></div>`;
}

/** One panel's content from its endpoint's answer. */
export function renderAnswer(panel: PanelDef, a: Answer, serverId?: string): string {
  if (a.status === 404) {
    // nova's answer for a route it does not have; an endpoint that exists names what it did not find.
    const msg = errorMessage(a);
    const unserved = /^The resource could not be found\.?$/.test(msg) || msg === 'HTTP 404';
    return `<p class="unavailable">not available: ${unserved ? `this Nimbus does not serve ${esc(decodeURIComponent(panel.path('{server}').split('?')[0]!))} yet` : esc(msg)}</p>`;
  }
  if (a.status === 403) return '<p class="unavailable">not available: admin only</p>';
  if (a.status >= 400) return `<p class="error">${esc(errorMessage(a))} (HTTP ${a.status})</p>`;
  const known =
    panel.id === 'diagnose' ? renderDiagnosis(a.body)
    : panel.id === 'repair' ? renderRepair(a.body, serverId)
    : panel.id === 'timeline' ? renderTimelines(a.body)
    : renderFaults(a.body);
  if (known !== undefined) return known;
  const steps = panel.id === 'timeline' ? findSteps(a.body) : undefined;
  return (steps && steps.length ? renderChart(steps) : '') + `<details${steps ? '' : ' open'}><summary>answer</summary>${renderValue(a.body)}</details>`;
}

/** Loads every panel of a server into `el` (one section per panel); `notes` go first in their panel (a repair's result). */
export async function loadPanels(s: Session, serverId: string, el: HTMLElement, notes: Partial<Record<PanelDef['id'], string>> = {}): Promise<void> {
  el.innerHTML = PANELS.map((p) => `<section class="panel" data-panel="${p.id}"><h3>${esc(p.title)}</h3><div class="panel-body muted">loading…</div></section>`).join('');
  await Promise.all(PANELS.map((p) => loadPanel(s, serverId, el, p, notes[p.id])));
}

/** Loads one panel's section (already in `el`) and wires its buttons. */
async function loadPanel(s: Session, serverId: string, el: HTMLElement, p: PanelDef, note = ''): Promise<void> {
  const section = el.querySelector<HTMLElement>(`[data-panel="${p.id}"]`)!;
  const body = section.querySelector<HTMLElement>('.panel-body')!;
  section.removeAttribute('data-loaded');
  let html: string;
  let answer: Answer | undefined;
  try {
    answer = await call(s, 'compute', p.path(serverId));
    html = note + renderAnswer(p, answer, serverId);
  } catch (e) {
    html = `<p class="error">${esc((e as Error).message)}</p>`;
  }
  body.classList.remove('muted');
  body.innerHTML = html;
  body.querySelector<HTMLButtonElement>('.repair-apply')?.addEventListener('click', (ev) => void repair(s, serverId, el, ev.currentTarget as HTMLButtonElement));
  // The request select redraws the chart from the answer already there.
  body.querySelector<HTMLSelectElement>('.tl-request')?.addEventListener('change', (ev) => {
    const t = answer?.body?.timelines?.[Number((ev.currentTarget as HTMLSelectElement).value)];
    if (t) body.querySelector('.tl-chart')!.innerHTML = renderTimelineChart(t);
  });
  if (p.id === 'faults') wireFaults(s, serverId, el, p, body);
  section.setAttribute('data-loaded', 'true');
}

/** The faults panel's Clear, Clear all and Add: each calls the API, then reloads the panel with the outcome on top. */
function wireFaults(s: Session, serverId: string, el: HTMLElement, p: PanelDef, body: HTMLElement): void {
  const act = async (what: string, path: string, init: { method: string; body?: unknown }) => {
    body.querySelectorAll('button').forEach((b) => (b.disabled = true));
    let note: string;
    try {
      note = renderFaultResult(what, await call(s, 'compute', path, init));
    } catch (e) {
      note = `<p class="error fault-result" data-ok="false">${esc(what)} failed: ${esc((e as Error).message)}</p>`;
    }
    await loadPanel(s, serverId, el, p, note);
  };
  body.querySelectorAll<HTMLButtonElement>('.fault-clear').forEach((b) =>
    b.addEventListener('click', () => void act(`Cleared ${b.dataset.id}`, `/nimbus/v1/faults/${encodeURIComponent(b.dataset.id!)}`, { method: 'DELETE' })),
  );
  body.querySelector('.faults-clear-all')?.addEventListener('click', () => void act('Cleared all faults', '/nimbus/v1/faults', { method: 'DELETE' }));
  body.querySelector<HTMLFormElement>('.fault-form')?.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget as HTMLFormElement);
    const get = (k: string) => String(f.get(k) ?? '');
    const fault = faultRequest({ kind: get('kind'), host: get('host'), count: get('count'), ttl: get('ttl'), params: get('params') });
    void act(`Added ${get('kind')}`, '/nimbus/v1/faults', { method: 'POST', body: { fault } });
  });
}
/** The Repair button: applies the report for this server (POST), then reloads every panel with the result on top. */
async function repair(s: Session, serverId: string, el: HTMLElement, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  button.textContent = 'Repairing…';
  let note: string;
  try {
    note = renderApplied(await call(s, 'compute', '/nimbus/v1/repair-vifs', { method: 'POST', body: { apply: true, server: serverId } }));
  } catch (e) {
    note = `<p class="error repair-result" data-ok="false">Repair failed: ${esc((e as Error).message)}</p>`;
  }
  await loadPanels(s, serverId, el, { repair: note });
}
