/**
 * IP addresses as (version, bigint) pairs: parsing with neutron-lib's rules and printing
 * the way neutron prints them.
 *
 * Neutron formats addresses with netaddr, which for IPv6 is glibc's inet_ntop: RFC 5952
 * compression (longest run of two or more zero groups, the first on a tie, lowercase)
 * and dotted IPv4 for the IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d)
 * forms. Python 3.11's `ipaddress` differs only on those two forms ('::ffff:102:304');
 * `formatIpPython` gives that form for callers that need it.
 */

/** An IP version as neutron's `ip_version` attribute carries it. */
export type IpVersion = 4 | 6;

/** One address; `value` is the unsigned integer of its 32 or 128 bits. */
export interface IpAddress {
  readonly version: IpVersion;
  readonly value: bigint;
}

/** The largest value of each version. */
export const MAX_VALUE: Readonly<Record<IpVersion, bigint>> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };
/** Address width in bits. */
export const WIDTH: Readonly<Record<IpVersion, number>> = { 4: 32, 6: 128 };

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PY_INT = /^[+-]?[0-9]+(?:_[0-9]+)*$/;

/** Python's int() on an ASCII string (signs and digit underscores allowed), or null. */
export function pyInt(text: string): bigint | null {
  return PY_INT.test(text) ? BigInt(text.replace(/_/g, '')) : null;
}

/** inet_pton(AF_INET): exactly four decimal octets, no leading zeros, each <= 255. */
export function parseIpv4Strict(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** glibc's inet_pton(AF_INET6), which netaddr uses: hex groups, one '::', a trailing dotted quad. */
export function parseIpv6(text: string): bigint | null {
  if (text === '' || text.includes(':::')) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const compressed = halves.length === 2;
  const groupsOf = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = groupsOf(halves[0]!);
  const tail = compressed ? groupsOf(halves[1]!) : [];
  const words: number[][] = [[], []];
  const sides = compressed ? [head, tail] : [head];
  for (let side = 0; side < sides.length; side++) {
    const groups = sides[side]!;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const lastOfText = side === sides.length - 1 && i === groups.length - 1;
      if (lastOfText && g.includes('.')) {
        const v4 = parseIpv4Strict(g);
        if (v4 === null) return null;
        words[side]!.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(g)) {
        words[side]!.push(parseInt(g, 16));
      } else {
        return null;
      }
    }
  }
  const count = words[0]!.length + words[1]!.length;
  if (compressed ? count > 7 : count !== 8) return null;
  const all = [...words[0]!, ...new Array<number>(8 - count).fill(0), ...words[1]!];
  return all.reduce((acc, w) => (acc << 16n) | BigInt(w), 0n);
}

/**
 * Parses an address neutron-lib's validate_ip_address accepts (IPv4 only in its
 * canonical dotted form, IPv6 anything inet_pton takes); null otherwise.
 */
export function parseIp(text: string): IpAddress | null {
  if (/\s/.test(text)) return null;
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    return v6 === null ? null : { version: 6, value: v6 };
  }
  const v4 = parseIpv4Strict(text);
  return v4 === null ? null : { version: 4, value: v4 };
}

/** Python's '%s' of a value that is not a string, as neutron-lib's messages show it. */
export function pyStr(data: unknown): string {
  if (data === null || data === undefined) return 'None';
  if (data === true) return 'True';
  if (data === false) return 'False';
  if (typeof data === 'string') return data;
  if (typeof data === 'object') return pyRepr(data);
  return String(data);
}

/** Python's repr() of JSON-like data (dicts, lists, strings, numbers), for messages that embed it. */
export function pyRepr(data: unknown): string {
  if (typeof data === 'string') {
    const quote = data.includes("'") && !data.includes('"') ? '"' : "'";
    const body = data
      .replace(/\\/g, '\\\\')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r')
      .replace(/\t/g, '\\t');
    return quote + (quote === "'" ? body.replace(/'/g, "\\'") : body) + quote;
  }
  if (Array.isArray(data)) return `[${data.map(pyRepr).join(', ')}]`;
  if (data !== null && typeof data === 'object') {
    return `{${Object.entries(data).map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return pyStr(data);
}

/**
 * neutron-lib's validate_ip_address: null when valid, else its message. IPv4 must be
 * four dotted parts and printed canonically (leading zeros get "'%(ip)s' is recommended").
 */
export function validateIpAddress(data: unknown): string | null {
  const invalid = `'${pyStr(data)}' is not a valid IP address`;
  if (typeof data !== 'string' || /\s/.test(data)) return invalid;
  if (data.includes(':')) return parseIpv6(data) === null ? invalid : null;
  // netaddr with ZEROFILL: each dotted part through int(), then inet_aton.
  const parts = data.split('.');
  if (parts.length !== 4) return invalid;
  const octets: bigint[] = [];
  for (const p of parts) {
    const n = pyInt(p);
    if (n === null || n < 0n || n > 255n) return invalid;
    octets.push(n);
  }
  const canonical = octets.join('.');
  if (canonical !== data) return `'${data}' is not an accepted IP address, '${canonical}' is recommended`;
  return null;
}

/** validate_ip_address_or_none: null passes. */
export function validateIpAddressOrNone(data: unknown): string | null {
  return data === null ? null : validateIpAddress(data);
}

function formatV4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

function words6(value: bigint): number[] {
  const w: number[] = [];
  for (let i = 7; i >= 0; i--) w.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return w;
}

function longestZeroRun(w: number[]): { base: number; len: number } {
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  return best.len < 2 ? { base: -1, len: 0 } : best;
}

function formatV6(value: bigint, dottedTail: boolean): string {
  const w = words6(value);
  const best = longestZeroRun(w);
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    // glibc's inet_ntop6: ::a.b.c.d and ::ffff:a.b.c.d keep the dotted tail.
    if (dottedTail && i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && w[5] === 0xffff))) {
      out += formatV4(value & 0xffffffffn);
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}

/** Prints an address as neutron does (str(netaddr.IPAddress)); the value must fit its version. */
export function formatIp(value: bigint, version: IpVersion): string {
  return version === 4 ? formatV4(value) : formatV6(value, true);
}

/** Prints an address as Python 3.11's str(ipaddress.ip_address()) does (no dotted tail in IPv6). */
export function formatIpPython(value: bigint, version: IpVersion): string {
  return version === 4 ? formatV4(value) : formatV6(value, false);
}

/** formatIp of an IpAddress. */
export function formatAddress(addr: IpAddress): string {
  return formatIp(addr.value, addr.version);
}

/**
 * neutron-lib's convert_ip_to_canonical_format: an IPv6 address comes back compressed,
 * anything else (IPv4, garbage) unchanged.
 */
export function canonicalizeIp(text: string): string {
  if (!text.includes(':') || /\s/.test(text)) return text;
  const v6 = parseIpv6(text);
  return v6 === null ? text : formatIp(v6, 6);
}

/** Equality of two addresses, version included. */
export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.version === b.version && a.value === b.value;
}
