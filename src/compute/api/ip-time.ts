/**
 * The address and time parsing nova's server resource relies on, as Python does it:
 * ipaddress's strict IPv4/IPv6 checks (jsonschema's `ipv4`/`ipv6` formats), the text an
 * IPv6 address comes back as (nova stores accessIPv6 through netaddr, whose compact form
 * is the C library's inet_ntop), and oslo's parse_isotime (iso8601.parse_date).
 */
import { isIP } from 'node:net';

/** ipaddress.IPv4Address accepts it: four decimal octets, no leading zeros. */
export function isIPv4Address(s: string): boolean {
  return isIP(s) === 4;
}

/** ipaddress.IPv6Address accepts it and it has no %scope (jsonschema's is_ipv6). */
export function isIPv6Address(s: string): boolean {
  return !s.includes('%') && isIP(s) === 6;
}

/** The eight 16-bit groups of a valid IPv6 address. */
function ipv6Words(s: string): number[] {
  // WHATWG's URL parser reads every IPv6 form (embedded IPv4 included) into 8 groups.
  const host = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const parse = (p: string | undefined) => (p ? p.split(':').map((w) => parseInt(w, 16)) : []);
  const a = parse(head);
  const b = parse(tail);
  return tail === undefined ? a : [...a, ...new Array<number>(8 - a.length - b.length).fill(0), ...b];
}

/**
 * str(netaddr.IPAddress(s)) for an IPv6 address, i.e. glibc's inet_ntop: lower-case hex
 * without leading zeros, the first longest run of two or more zero groups as "::", and
 * the IPv4-compatible (::a.b.c.d) and IPv4-mapped (::ffff:a.b.c.d) forms in dotted quad.
 */
export function canonicalIPv6(s: string): string {
  const w = ipv6Words(s);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      cur = cur.base < 0 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = { ...cur };
    } else cur = { base: -1, len: 0 };
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base >= 0 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      out += `${w[6]! >> 8}.${w[6]! & 0xff}.${w[7]! >> 8}.${w[7]! & 0xff}`;
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (best.base >= 0 && best.base + best.len === 8) out += ':';
  return out;
}

// iso8601.parse_date's ISO8601_REGEX (basic and extended forms, date alone allowed).
const ISO8601 =
  /^(\d{4})(-?(\d{1,2})(-?(\d{1,2})((?:[Tt]|\s+)(\d{2}):?(\d{2})(:?(\d{2})([.,](\d+))?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?)?)?)?$/;

/** oslo's timeutils.parse_isotime: epoch milliseconds, or null where it raises ValueError. Without a zone, UTC. */
export function parseIsotime(s: string): number | null {
  const m = ISO8601.exec(s);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[3] ?? 1), Number(m[5] ?? 1)];
  const [hour, minute, second] = [Number(m[7] ?? 0), Number(m[8] ?? 0), Number(m[10] ?? 0)];
  const frac = m[12] ? Number(`0.${m[12]}`) * 1000 : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const t = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(frac);
  if (new Date(t).getUTCDate() !== day) return null;
  const zone = m[13];
  let offset = 0;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offset = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
  }
  return t - offset * 60_000;
}
