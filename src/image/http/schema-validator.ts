/**
 * Validation of request bodies against the image schema, reporting the first failure in
 * python-jsonschema's words ("'foo' is not one of [None, 'ami', ...]"), which glance
 * wraps in "Provided object does not match schema 'image': ...". Only the keywords the
 * image schema uses are implemented. Glance appends jsonschema's multi-line context
 * (failed keyword, sub-schema, instance path); Nimbus gives the first line only.
 */
import { InvalidObject } from '../errors.js';
import { IMAGE_SCHEMA } from './schema-data.js';

interface Sub {
  type?: string | readonly string[];
  enum?: readonly unknown[];
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  items?: Sub;
  properties?: Record<string, Sub>;
  required?: readonly string[];
  additionalProperties?: boolean | Sub;
}

/** Python's repr of a JSON value, as jsonschema puts it in messages. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
}

function isType(v: unknown, t: string): boolean {
  switch (t) {
    case 'null':
      return v === null;
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    default:
      return true;
  }
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The first jsonschema error message for `v` against `s`, or undefined when valid. */
function check(v: unknown, s: Sub): string | undefined {
  if (s.type !== undefined) {
    const types = typeof s.type === 'string' ? [s.type] : s.type;
    if (!types.some((t) => isType(v, t))) return `${pyRepr(v)} is not of type ${types.map((t) => pyRepr(t)).join(', ')}`;
  }
  if (s.enum && !s.enum.some((e) => sameJson(e, v))) return `${pyRepr(v)} is not one of ${pyRepr(s.enum)}`;
  if (typeof v === 'string') {
    const len = [...v].length;
    if (s.maxLength !== undefined && len > s.maxLength) return `${pyRepr(v)} is too long`;
    if (s.minLength !== undefined && len < s.minLength) return `${pyRepr(v)} is too short`;
    if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(v)) return `${pyRepr(v)} does not match ${pyRepr(s.pattern)}`;
  }
  if (Array.isArray(v) && s.items) {
    for (const item of v) {
      const m = check(item, s.items);
      if (m) return m;
    }
  }
  if (isType(v, 'object') && (s.properties || s.additionalProperties !== undefined || s.required)) {
    const o = v as Record<string, unknown>;
    for (const [k, sub] of Object.entries(s.properties ?? {})) {
      if (Object.hasOwn(o, k)) {
        const m = check(o[k], sub);
        if (m) return m;
      }
    }
    for (const r of s.required ?? []) if (!Object.hasOwn(o, r)) return `${pyRepr(r)} is a required property`;
    const extra = Object.keys(o).filter((k) => !Object.hasOwn(s.properties ?? {}, k));
    if (s.additionalProperties === false && extra.length) {
      return `Additional properties are not allowed (${extra.map(pyRepr).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`;
    }
    if (typeof s.additionalProperties === 'object') {
      for (const k of extra) {
        const m = check(o[k], s.additionalProperties);
        if (m) return m;
      }
    }
  }
  return undefined;
}

/** Throws InvalidObject unless `body` (a whole or partial image) satisfies the image schema. */
export function validateImage(body: unknown): void {
  const m = check(body, IMAGE_SCHEMA as unknown as Sub);
  if (m) throw new InvalidObject('image', m);
}
