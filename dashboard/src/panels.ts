/**
 * The panels of a selected server, each from one operator endpoint of /nimbus/v1 (admin
 * only): its boot timeline (traces), the diagnosis, the repair report and the faults
 * injected. Their answers are rendered generically (tables for lists, a bar chart for
 * anything that looks like timed steps), so the panels keep working as those endpoints
 * grow; an endpoint this Nimbus does not serve yet (404) shows "not available".
 */
import { type Answer, type Session, call, errorMessage } from './api.js';

/** One panel of a selected server: the operator endpoint it reads. */
export interface PanelDef {
  id: 'timeline' | 'diagnose' | 'repair' | 'faults';
  title: string;
  path(serverId: string): string;
}

/** The panels, in the order shown. */
export const PANELS: PanelDef[] = [
  { id: 'timeline', title: 'Boot timeline', path: (id) => `/nimbus/v1/traces/${encodeURIComponent(id)}` },
  { id: 'diagnose', title: 'Diagnosis', path: (id) => `/nimbus/v1/diagnose/server/${encodeURIComponent(id)}` },
  { id: 'repair', title: 'VIF repair report', path: (id) => `/nimbus/v1/repair-vifs?server=${encodeURIComponent(id)}` },
  { id: 'faults', title: 'Injected faults', path: () => '/nimbus/v1/faults' },
];

/** HTML-escapes any value (every API string reaches the page through it). */
export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

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

/** One panel's content from its endpoint's answer. */
export function renderAnswer(panel: PanelDef, a: Answer): string {
  if (a.status === 404) {
    // nova's answer for a route it does not have; an endpoint that exists names what it did not find.
    const msg = errorMessage(a);
    const unserved = /^The resource could not be found\.?$/.test(msg) || msg === 'HTTP 404';
    return `<p class="unavailable">not available: ${unserved ? `this Nimbus does not serve ${esc(decodeURIComponent(panel.path('{server}').split('?')[0]!))} yet` : esc(msg)}</p>`;
  }
  if (a.status === 403) return '<p class="unavailable">not available: admin only</p>';
  if (a.status >= 400) return `<p class="error">${esc(errorMessage(a))} (HTTP ${a.status})</p>`;
  const steps = panel.id === 'timeline' ? findSteps(a.body) : undefined;
  return (steps && steps.length ? renderChart(steps) : '') + `<details${steps ? '' : ' open'}><summary>answer</summary>${renderValue(a.body)}</details>`;
}

/** Loads every panel of a server into `el` (one section per panel). */
export async function loadPanels(s: Session, serverId: string, el: HTMLElement): Promise<void> {
  el.innerHTML = PANELS.map((p) => `<section class="panel" data-panel="${p.id}"><h3>${esc(p.title)}</h3><div class="panel-body muted">loading…</div></section>`).join('');
  await Promise.all(
    PANELS.map(async (p) => {
      const body = el.querySelector<HTMLElement>(`[data-panel="${p.id}"] .panel-body`)!;
      let html: string;
      try {
        html = renderAnswer(p, await call(s, 'compute', p.path(serverId)));
      } catch (e) {
        html = `<p class="error">${esc((e as Error).message)}</p>`;
      }
      body.classList.remove('muted');
      body.innerHTML = html;
      body.closest('.panel')!.setAttribute('data-loaded', 'true');
    }),
  );
}
