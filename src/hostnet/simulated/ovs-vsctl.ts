/**
 * `ovs-vsctl` over the simulated OVSDB: global options (--timeout, --db, --oneline...),
 * `--`-chained commands run as one transaction (all or nothing), per-command
 * --may-exist / --if-exists, and the commands nova, os-vif, libvirt and the OVS agent
 * use: add-br, del-br, list-br, br-exists, add-port, del-port, list-ports, list-ifaces,
 * port-to-br, iface-to-br, set, get, clear, show. Values are printed the way
 * ovs-vsctl prints OVSDB data (quoted strings only when they need it, sorted maps).
 * Errors are "ovs-vsctl: ..." with ovs-vsctl's texts and exit code 1.
 */
import { CommandFailed } from '../host-network.js';
import { type HostState, type OvsBridgeRow, type OvsIfaceRow, type OvsPortRow, OvsTxn } from './state.js';

const OVS_VERSION = '2.17.9';

interface Cmd {
  name: string;
  opts: Set<string>;
  args: string[];
}

interface CmdSpec {
  min: number;
  max: number;
  opts: readonly string[];
  run(ctx: Ctx, cmd: Cmd): string;
}

interface Ctx {
  state: HostState;
  txn: OvsTxn;
  argv: readonly string[];
}

/** Options of a command; given before the first command they belong to it (ovs-vsctl --if-exists del-port ...). */
const COMMAND_OPTS = ['--may-exist', '--if-exists', '--with-iface', '--id=', '--all'];
const GLOBAL_FLAGS = new Set(['--oneline', '--no-wait', '--no-syslog', '--dry-run', '--retry', '-v', '--verbose', '--bare', '--no-headings', '--pretty']);
const GLOBAL_VALUED = ['--timeout=', '--db=', '--format=', '--data=', '--columns=', '-t'];

export function runOvsVsctl(state: HostState, argv: readonly string[]): string {
  let i = 1;
  let oneline = false;
  for (; i < argv.length && argv[i] !== '--' && argv[i]!.startsWith('-'); i++) {
    const a = argv[i]!;
    if (COMMAND_OPTS.some((o) => a === o || (o.endsWith('=') && a.startsWith(o)))) break;
    if (a === '--oneline') oneline = true;
    if (a === '-t') {
      i++;
      continue;
    }
    if (!GLOBAL_FLAGS.has(a) && !GLOBAL_VALUED.some((p) => a.startsWith(p))) {
      throw new CommandFailed(argv, 1, `ovs-vsctl: unrecognized option '${a}'\n`);
    }
  }
  const groups: string[][] = [];
  let cur: string[] = [];
  for (; i < argv.length; i++) {
    if (argv[i] === '--') {
      if (cur.length) groups.push(cur);
      cur = [];
    } else cur.push(argv[i]!);
  }
  if (cur.length) groups.push(cur);
  if (!groups.length) throw new CommandFailed(argv, 1, 'ovs-vsctl: missing command name (use --help for help)\n');

  const cmds = groups.map((g) => parseCommand(argv, g));
  const ctx: Ctx = { state, txn: new OvsTxn(), argv };
  const outputs: string[] = [];
  try {
    for (const c of cmds) outputs.push(COMMANDS[c.name]!.run(ctx, c));
  } catch (e) {
    state.rollback(ctx.txn);
    throw e;
  }
  state.commit(ctx.txn);
  if (oneline) return outputs.map((o) => o.replace(/\n$/, '').replace(/\n/g, '\\n') + '\n').join('');
  return outputs.join('');
}

function parseCommand(argv: readonly string[], group: string[]): Cmd {
  let j = 0;
  const opts = new Set<string>();
  while (j < group.length && group[j]!.startsWith('--')) opts.add(group[j++]!.replace(/=.*$/, ''));
  const name = group[j];
  if (name === undefined) throw new CommandFailed(argv, 1, 'ovs-vsctl: missing command name (use --help for help)\n');
  const spec = COMMANDS[name];
  if (!spec) throw new CommandFailed(argv, 1, `ovs-vsctl: unknown command '${name}'; use --help for help\n`);
  for (const o of opts) {
    if (!spec.opts.includes(o)) throw new CommandFailed(argv, 1, `ovs-vsctl: '${name}' command has no '${o}' option\n`);
  }
  const args = group.slice(j + 1);
  if (args.length < spec.min) throw new CommandFailed(argv, 1, `ovs-vsctl: '${name}' command requires at least ${spec.min} arguments\n`);
  if (args.length > spec.max) throw new CommandFailed(argv, 1, `ovs-vsctl: '${name}' command takes at most ${spec.max} arguments\n`);
  return { name, opts, args };
}

const fail = (ctx: Ctx, msg: string): never => {
  throw new CommandFailed(ctx.argv, 1, `ovs-vsctl: ${msg}\n`);
};

function bridgeNamed(ctx: Ctx, name: string): OvsBridgeRow {
  return ctx.state.bridges.get(name) ?? fail(ctx, `no bridge named ${name}`);
}

/** Ports of a bridge without its local port, sorted (list-ports). */
function listPorts(br: OvsBridgeRow): string[] {
  return [...br.ports].filter((p) => p !== br.name).sort();
}

const lines = (xs: string[]) => xs.map((x) => x + '\n').join('');

const COMMANDS: Record<string, CmdSpec> = {
  'add-br': {
    min: 1,
    max: 3,
    opts: ['--may-exist'],
    run(ctx, c) {
      const [name] = c.args as [string];
      if (c.args.length > 1) fail(ctx, 'fake bridges (add-br NAME PARENT VLAN) are not supported by the simulated host');
      const { state } = ctx;
      if (state.bridges.has(name)) {
        if (c.opts.has('--may-exist')) return '';
        fail(ctx, `cannot create a bridge named ${name} because a bridge named ${name} already exists`);
      }
      const port = state.ports.get(name);
      if (port) fail(ctx, `cannot create a bridge named ${name} because a port named ${name} already exists on bridge ${port.bridge}`);
      state.insertBridge(ctx.txn, name, '');
      return '';
    },
  },
  'del-br': {
    min: 1,
    max: 1,
    opts: ['--if-exists'],
    run(ctx, c) {
      const br = ctx.state.bridges.get(c.args[0]!);
      if (!br) {
        if (c.opts.has('--if-exists')) return '';
        fail(ctx, `no bridge named ${c.args[0]}`);
      }
      ctx.state.deleteBridge(ctx.txn, br!);
      return '';
    },
  },
  'list-br': { min: 0, max: 0, opts: [], run: (ctx) => lines([...ctx.state.bridges.keys()].sort()) },
  'br-exists': {
    min: 1,
    max: 1,
    opts: [],
    run(ctx, c) {
      if (!ctx.state.bridges.has(c.args[0]!)) throw new CommandFailed(ctx.argv, 2, '');
      return '';
    },
  },
  'add-port': {
    min: 2,
    max: Infinity,
    opts: ['--may-exist'],
    run(ctx, c) {
      const [brName, name, ...settings] = c.args as [string, string, ...string[]];
      const { state } = ctx;
      const br = bridgeNamed(ctx, brName);
      const existing = state.ports.get(name);
      if (existing) {
        if (c.opts.has('--may-exist')) {
          if (existing.bridge !== brName) fail(ctx, `"--may-exist add-port ${brName} ${name}" but ${name} is actually attached to bridge ${existing.bridge}`);
          return '';
        }
        fail(ctx, `cannot create a port named ${name} because a port named ${name} already exists on bridge ${existing.bridge}`);
      }
      if (state.bridges.has(name)) fail(ctx, `cannot create a port named ${name} because a bridge named ${name} already exists`);
      const port = state.insertPort(ctx.txn, br, name);
      for (const s of settings) setColumn(ctx, 'Port', port, s);
      return '';
    },
  },
  'del-port': {
    min: 1,
    max: 2,
    opts: ['--if-exists', '--with-iface'],
    run(ctx, c) {
      const { state } = ctx;
      const name = c.args[c.args.length - 1]!;
      const brName = c.args.length === 2 ? c.args[0]! : null;
      const br = brName === null ? null : bridgeNamed(ctx, brName);
      const port = state.ports.get(name);
      if (!port) {
        if (c.opts.has('--if-exists')) return '';
        fail(ctx, `no port named ${name}`);
      }
      if (br && port!.bridge !== br.name) fail(ctx, `bridge ${br.name} does not have a port ${name}`);
      if (state.bridges.has(name)) fail(ctx, `cannot delete port ${name} because it is the local port for bridge ${name} (deleting this port requires deleting the entire bridge)`);
      state.deletePort(ctx.txn, port!);
      return '';
    },
  },
  'list-ports': { min: 1, max: 1, opts: [], run: (ctx, c) => lines(listPorts(bridgeNamed(ctx, c.args[0]!))) },
  'list-ifaces': {
    min: 1,
    max: 1,
    opts: [],
    run: (ctx, c) =>
      lines(
        listPorts(bridgeNamed(ctx, c.args[0]!))
          .flatMap((p) => ctx.state.ports.get(p)!.interfaces)
          .sort(),
      ),
  },
  'port-to-br': {
    min: 1,
    max: 1,
    opts: [],
    run: (ctx, c) => (ctx.state.ports.get(c.args[0]!) ?? fail(ctx, `no port named ${c.args[0]}`)).bridge + '\n',
  },
  'iface-to-br': {
    min: 1,
    max: 1,
    opts: [],
    run(ctx, c) {
      const iface = ctx.state.ifaces.get(c.args[0]!) ?? fail(ctx, `no interface named ${c.args[0]}`);
      return ctx.state.ports.get(iface.port)!.bridge + '\n';
    },
  },
  set: {
    min: 3,
    max: Infinity,
    opts: ['--if-exists'],
    run(ctx, c) {
      const [table, record, ...settings] = c.args as [string, string, ...string[]];
      const row = findRow(ctx, table, record, c.opts.has('--if-exists'));
      if (!row) return '';
      for (const s of settings) setColumn(ctx, table as TableName, row, s);
      return '';
    },
  },
  clear: {
    min: 3,
    max: Infinity,
    opts: ['--if-exists'],
    run(ctx, c) {
      const [table, record, ...columns] = c.args as [string, string, ...string[]];
      const row = findRow(ctx, table, record, c.opts.has('--if-exists'));
      if (!row) return '';
      for (const col of columns) clearColumn(ctx, table as TableName, row, col);
      return '';
    },
  },
  get: {
    min: 2,
    max: Infinity,
    opts: ['--if-exists', '--id'],
    run(ctx, c) {
      const [table, record, ...columns] = c.args as [string, string, ...string[]];
      const ifExists = c.opts.has('--if-exists');
      const row = findRow(ctx, table, record, ifExists);
      if (!row) return '';
      let out = '';
      for (const spec of columns) {
        const [colName, key] = splitKey(spec);
        const spec2 = column(ctx, table as TableName, colName);
        const value = spec2.get(row as never);
        if (key !== undefined) {
          if (spec2.kind !== 'map') fail(ctx, `cannot specify key to get for non-map column ${spec2.name}`);
          const map = value as Record<string, string>;
          if (!(key in map)) {
            if (ifExists) continue;
            fail(ctx, `no key "${key}" in ${table} record "${record}" column ${spec2.name}`);
          }
          out += fmtString(map[key]!) + '\n';
        } else out += fmtValue(spec2, value) + '\n';
      }
      return out;
    },
  },
  show: { min: 0, max: 0, opts: [], run: (ctx) => show(ctx.state) },
};

type TableName = 'Bridge' | 'Port' | 'Interface';
type Row = OvsBridgeRow | OvsPortRow | OvsIfaceRow;

function findRow(ctx: Ctx, table: string, record: string, ifExists: boolean): Row | null {
  const { state } = ctx;
  const map: Map<string, Row> | undefined =
    table === 'Bridge' ? state.bridges : table === 'Port' ? state.ports : table === 'Interface' ? state.ifaces : undefined;
  if (!map) fail(ctx, `unknown table "${table}"`);
  let row = map!.get(record);
  if (!row && /^[0-9a-f-]{36}$/.test(record)) row = [...map!.values()].find((r) => r.uuid === record);
  if (!row) {
    if (ifExists) return null;
    fail(ctx, `no row "${record}" in table ${table}`);
  }
  return row!;
}

type ColKind = 'string' | 'optstring' | 'optint' | 'intset' | 'map' | 'uuid' | 'names';
interface Column {
  name: string;
  kind: ColKind;
  readonly?: boolean;
  range?: [number, number];
  enumValues?: readonly string[];
  get(row: Row): unknown;
  /** Field to write (absent for read-only columns). */
  field?: string;
}

const col = (name: string, kind: ColKind, field: string | undefined, extra: Partial<Column> = {}): Column => ({
  name,
  kind,
  field,
  readonly: field === undefined,
  get: (r) => (field ? (r as unknown as Record<string, unknown>)[field] : undefined),
  ...extra,
});

const VLAN_MODES = ['access', 'dot1q-tunnel', 'native-tagged', 'native-untagged', 'trunk'] as const;

const TABLES: Record<TableName, Column[]> = {
  Bridge: [
    col('_uuid', 'uuid', undefined, { get: (r) => r.uuid }),
    col('name', 'string', undefined, { get: (r) => r.name }),
    col('datapath_type', 'string', 'datapathType'),
    col('fail_mode', 'optstring', 'failMode', { enumValues: ['secure', 'standalone'] }),
    col('external_ids', 'map', 'externalIds'),
    col('other_config', 'map', 'otherConfig'),
    col('ports', 'names', undefined, { get: (r) => [...(r as OvsBridgeRow).ports].sort() }),
  ],
  Port: [
    col('_uuid', 'uuid', undefined, { get: (r) => r.uuid }),
    col('name', 'string', undefined, { get: (r) => r.name }),
    col('tag', 'optint', 'tag', { range: [0, 4095] }),
    col('vlan_mode', 'optstring', 'vlanMode', { enumValues: VLAN_MODES }),
    col('trunks', 'intset', 'trunks', { range: [0, 4095] }),
    col('external_ids', 'map', 'externalIds'),
    col('other_config', 'map', 'otherConfig'),
    col('interfaces', 'names', undefined, { get: (r) => (r as OvsPortRow).interfaces }),
  ],
  Interface: [
    col('_uuid', 'uuid', undefined, { get: (r) => r.uuid }),
    col('name', 'string', undefined, { get: (r) => r.name }),
    col('type', 'string', 'type'),
    col('ofport', 'optint', undefined, { get: (r) => ((r as OvsIfaceRow).ofport === 0 ? null : (r as OvsIfaceRow).ofport) }),
    col('external_ids', 'map', 'externalIds'),
    col('options', 'map', 'options'),
    col('other_config', 'map', 'otherConfig'),
    col('mtu_request', 'optint', 'mtuRequest', { range: [1, 65535] }),
    col('error', 'optstring', undefined, { get: (r) => (r as OvsIfaceRow).error }),
  ],
};

function column(ctx: Ctx, table: TableName, name: string): Column {
  const wanted = name.replace(/-/g, '_');
  return TABLES[table].find((c) => c.name === wanted) ?? fail(ctx, `${table} does not contain a column whose name matches "${name}"`);
}

/** "col:key" → [col, key]; "col" → [col, undefined]. */
function splitKey(spec: string): [string, string | undefined] {
  const i = spec.indexOf(':');
  return i < 0 ? [spec, undefined] : [spec.slice(0, i), spec.slice(i + 1)];
}

function unquote(v: string): string {
  if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) return v.slice(1, -1).replace(/\\(.)/g, '$1');
  return v;
}

function parseInt10(ctx: Ctx, c: Column, raw: string): number {
  const v = unquote(raw.trim());
  if (!/^-?\d+$/.test(v)) fail(ctx, `"${v}" is not a valid integer`);
  const n = Number(v);
  if (c.range && (n < c.range[0] || n > c.range[1])) fail(ctx, `constraint violation: ${n} is not in the valid range ${c.range[0]} to ${c.range[1]} (inclusive)`);
  return n;
}

function parseMap(ctx: Ctx, raw: string): Record<string, string> {
  const v = raw.trim();
  if (!v.startsWith('{') || !v.endsWith('}')) fail(ctx, `${raw}: syntax error: expected "{" for map`);
  const out: Record<string, string> = {};
  for (const pair of v.slice(1, -1).split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq < 0) fail(ctx, `${raw}: syntax error: missing "=" in map`);
    out[unquote(pair.slice(0, eq).trim())] = unquote(pair.slice(eq + 1).trim());
  }
  return out;
}

function setColumn(ctx: Ctx, table: TableName, row: Row, setting: string): void {
  const eq = setting.indexOf('=');
  if (eq < 0) fail(ctx, `${setting}: argument does not end in "=" followed by a value.`);
  const [colName, key] = splitKey(setting.slice(0, eq));
  const raw = setting.slice(eq + 1);
  const c = column(ctx, table, colName);
  if (c.readonly || !c.field) fail(ctx, `cannot modify read-only column ${c.name} in table ${table}`);
  if (table === 'Interface') ctx.state.touch(ctx.txn, row as OvsIfaceRow);
  const field = c.field as keyof Row;
  if (key !== undefined) {
    if (c.kind !== 'map') fail(ctx, `cannot specify key to set for non-map column ${c.name}`);
    const next = { ...(row[field] as unknown as Record<string, string>), [key]: unquote(raw) };
    ctx.state.setField(ctx.txn, row, field, next as never);
    return;
  }
  let value: unknown;
  switch (c.kind) {
    case 'map':
      value = parseMap(ctx, raw);
      break;
    case 'optint':
      value = raw.trim() === '[]' ? null : parseInt10(ctx, c, raw);
      break;
    case 'intset':
      value = raw
        .replace(/^\[|\]$/g, '')
        .split(/[,\s]+/)
        .filter(Boolean)
        .map((x) => parseInt10(ctx, c, x));
      break;
    case 'optstring':
    case 'string': {
      const s = unquote(raw);
      if (c.enumValues && !(c.kind === 'optstring' && raw.trim() === '[]') && !c.enumValues.includes(s)) {
        fail(ctx, `constraint violation: ${s} is not one of the allowed values ([${c.enumValues.join(', ')}])`);
      }
      value = c.kind === 'optstring' && raw.trim() === '[]' ? null : s;
      break;
    }
    default:
      fail(ctx, `cannot modify read-only column ${c.name} in table ${table}`);
  }
  ctx.state.setField(ctx.txn, row, field, value as never);
}

function clearColumn(ctx: Ctx, table: TableName, row: Row, name: string): void {
  const c = column(ctx, table, name);
  if (c.readonly || !c.field) fail(ctx, `cannot modify read-only column ${c.name} in table ${table}`);
  if (c.kind === 'string') fail(ctx, `"clear" operation cannot be applied to column ${c.name} of table ${table}, which is not allowed to be empty`);
  if (table === 'Interface') ctx.state.touch(ctx.txn, row as OvsIfaceRow);
  const empty = c.kind === 'map' ? {} : c.kind === 'intset' ? [] : null;
  ctx.state.setField(ctx.txn, row, c.field as keyof Row, empty as never);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** ovsdb's string_needs_quotes: bare only for identifier-like words that are not true/false or a uuid. */
export function fmtString(s: string): string {
  const bare = /^[A-Za-z_][A-Za-z_.-]*$/.test(s) && s !== 'true' && s !== 'false' && !UUID_RE.test(s);
  return bare ? s : `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function fmtMap(m: Record<string, string>): string {
  return `{${Object.keys(m)
    .sort()
    .map((k) => `${fmtString(k)}=${fmtString(m[k]!)}`)
    .join(', ')}}`;
}

function fmtValue(c: Column, v: unknown): string {
  switch (c.kind) {
    case 'uuid':
      return String(v);
    case 'string':
      return fmtString(String(v));
    case 'optstring':
      return v === null || v === undefined ? '[]' : fmtString(String(v));
    case 'optint':
      return v === null || v === undefined ? '[]' : String(v);
    case 'intset':
      return `[${(v as number[]).join(', ')}]`;
    case 'names':
      return `[${(v as string[]).join(', ')}]`;
    case 'map':
      return fmtMap(v as Record<string, string>);
  }
}

/** `ovs-vsctl show`: bridges and ports by name, interface type/options/error as ovs prints them. */
function show(state: HostState): string {
  let out = `${state.ovsUuid}\n`;
  for (const br of [...state.bridges.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    out += `    Bridge ${fmtString(br.name)}\n`;
    if (br.failMode) out += `        fail_mode: ${br.failMode}\n`;
    if (br.datapathType) out += `        datapath_type: ${br.datapathType}\n`;
    for (const pn of [...br.ports].sort()) {
      const p = state.ports.get(pn)!;
      out += `        Port ${fmtString(p.name)}\n`;
      if (p.tag !== null) out += `            tag: ${p.tag}\n`;
      if (p.vlanMode) out += `            vlan_mode: ${p.vlanMode}\n`;
      if (p.trunks.length) out += `            trunks: [${p.trunks.join(', ')}]\n`;
      for (const iname of p.interfaces) {
        const i = state.ifaces.get(iname)!;
        out += `            Interface ${fmtString(i.name)}\n`;
        if (i.type) out += `                type: ${i.type}\n`;
        if (Object.keys(i.options).length) out += `                options: ${fmtMap(i.options)}\n`;
        if (i.error) out += `                error: ${fmtString(i.error)}\n`;
      }
    }
  }
  out += `    ovs_version: "${OVS_VERSION}"\n`;
  return out;
}
