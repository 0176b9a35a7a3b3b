/**
 * JSON text as Python's json.dumps writes it (", " and ": " separators, non-ASCII kept),
 * so response bodies match glance's byte for byte where the content matches.
 */
import type { FastifyReply } from 'fastify';

/** Serialises `v` like json.dumps(v, ensure_ascii=False). */
export function pyJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** Sends `body` as glance does: Python-style JSON, Content-Type exactly "application/json" (a Buffer, so Fastify adds no charset). */
export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(pyJson(body), 'utf8'));
}
