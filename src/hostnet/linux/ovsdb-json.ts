/**
 * OVSDB's JSON values as `ovs-vsctl --format=json` and `ovsdb-client --format=json`
 * print them (RFC 7047 §5.1): ["set", [...]], ["map", [[k, v]...]], ["uuid", u], and a
 * set of one element as the bare element.
 */

export type OvsdbValue = string | number | boolean | [string, unknown];

/** One `--format=json` table: rows as objects by heading. */
export function tableRows(json: string): Record<string, unknown>[] {
  const t = JSON.parse(json) as { data: unknown[][]; headings: string[] };
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]])));
}

const isTagged = (v: unknown, tag: string): v is [string, unknown] => Array.isArray(v) && v.length === 2 && v[0] === tag;

/** A set column's elements (a bare value is a set of one). */
export function setOf(v: unknown): unknown[] {
  if (isTagged(v, 'set')) return v[1] as unknown[];
  return v === undefined ? [] : [v];
}

export function mapOf(v: unknown): Record<string, string> {
  if (!isTagged(v, 'map')) return {};
  return Object.fromEntries((v[1] as [unknown, unknown][]).map(([k, val]) => [String(k), String(val)]));
}

export function uuidOf(v: unknown): string {
  return isTagged(v, 'uuid') ? String(v[1]) : String(v);
}

/** An optional scalar column ([0, 1] elements): the value or null. */
export function optional<T>(v: unknown): T | null {
  const s = setOf(v);
  return s.length ? (s[0] as T) : null;
}
