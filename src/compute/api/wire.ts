/**
 * Response bodies as nova-api writes them: oslo's jsonutils.dumps, i.e. Python's
 * json.dumps with ", " / ": " separators and non-ASCII escaped (ensure_ascii), and
 * Python floats that stay floats — a flavor's rxtx_factor is `1.0` on the wire, which
 * is what makes `openstack flavor show` print "1.0" rather than "1".
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpFault } from './faults.js';
import { parseJson } from '../../common/json-body.js';

const FLOAT = Symbol('python float');

/** A number that must be written as a Python float (with a ".0" when integral). */
export interface PyFloat {
  readonly [FLOAT]: number;
}

/** Marks `n` to be written as a Python float. */
export function pyFloat(n: number): PyFloat {
  return { [FLOAT]: n };
}

function floatRepr(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e16)) {
    const [mant, exp] = n.toExponential().split('e') as [string, string];
    return `${mant}e${exp.startsWith('-') ? '-' : '+'}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  const s = String(n);
  return Number.isInteger(n) ? `${s}.0` : s;
}

function asciiString(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** json.dumps(v) as nova's wsgi serializer calls it. */
export function novaJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return asciiString(v);
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : floatRepr(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(novaJson).join(', ')}]`;
  if (typeof v === 'object') {
    if (FLOAT in v) return floatRepr((v as PyFloat)[FLOAT]);
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${asciiString(k)}: ${novaJson(x)}`)
      .join(', ')}}`;
  }
  return 'null';
}

/** Sends a nova response body with Content-Type exactly "application/json". */
export function sendNova(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(novaJson(body), 'utf8'));
}

/** A response with no body (nova's 202/204 answers). */
export function sendEmpty(reply: FastifyReply, status: number): FastifyReply {
  return reply.code(status).send();
}

/**
 * The request body as nova's wsgi layer reads it: null when empty, JSON otherwise —
 * also without a Content-Type or with text/plain, which nova takes for JSON — and 415
 * "Unsupported Content-Type" for anything else.
 */
export function requestBody(req: FastifyRequest): unknown {
  const b = req.body;
  if (b === undefined || b === null) return null;
  if (!Buffer.isBuffer(b)) return b;
  const ct = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct !== '' && ct !== 'text/plain') throw new HttpFault(415, 'Unsupported Content-Type');
  if (b.length === 0) return null;
  try {
    return parseJson(b);
  } catch {
    throw new HttpFault(400, 'Malformed request body');
  }
}

/** What nova answers when no controller method exists for the request's microversion. */
export function versionNotFound(): HttpFault {
  return new HttpFault(404, 'The resource could not be found.');
}
