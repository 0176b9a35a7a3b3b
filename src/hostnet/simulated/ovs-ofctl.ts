/**
 * `ovs-ofctl` on a simulated host: each OVS bridge's flow table as data (no packet is
 * forwarded). The subset the OVS agent runs:
 *
 * - `ovs-ofctl [-O VER] add-flows BR FILE|-`: one flow_mod a line, each line optionally
 *   led by `add`, `delete` or `delete_strict` (ovs-ofctl's flow file syntax); an add with
 *   the same table, priority and match replaces the flow (and its cookie), as OpenFlow does;
 * - `ovs-ofctl [-O VER] [--strict] del-flows BR [FLOW]`;
 * - `ovs-ofctl [-O VER] dump-flows BR`: the flows in ovs-ofctl's text, zero statistics.
 *
 * A non-strict delete matches a flow whose match holds every field of the pattern (exact
 * field text, the way the agent writes them) and whose cookie matches `cookie=C/MASK`.
 * Flows belong to the bridge row: a bridge deleted (or a snapshot restored) has none.
 * Cost: a Map operation per flow line, parsing by string splits; a delete naming an
 * in_port looks at that port's flows only.
 */
import { CommandFailed } from '../host-network.js';
import type { HostState, OvsBridgeRow } from './state.js';

interface Flow {
  cookie: bigint;
  table: number;
  priority: number;
  /** Match fields in the order given, comma separated. */
  match: string;
  actions: string;
}

/** A parsed flow or pattern: actions absent in a pattern. */
interface Parsed {
  cookie: bigint | null;
  cookieMask: bigint | null;
  table: number | null;
  priority: number | null;
  fields: string[];
  actions: string | null;
}

const U64 = (1n << 64n) - 1n;

/**
 * One bridge's flows by (table, priority, match), with an index by in_port (the agent's
 * per-port deletes name it): a delete costs the port's flows, not the whole table.
 */
class FlowTable {
  readonly all = new Map<string, Flow>();
  readonly #byInPort = new Map<string, Set<string>>();

  set(k: string, f: Flow): void {
    this.all.set(k, f);
    const p = inPortOf(f.match);
    if (p !== null) (this.#byInPort.get(p) ?? this.#byInPort.set(p, new Set()).get(p)!).add(k);
  }

  delete(k: string): void {
    const f = this.all.get(k);
    if (!f) return;
    this.all.delete(k);
    const p = inPortOf(f.match);
    if (p !== null) this.#byInPort.get(p)?.delete(k);
  }

  /** The keys a pattern can match: its in_port's flows when it names one, else all. */
  candidates(fields: readonly string[]): Iterable<string> {
    for (const x of fields) if (x.startsWith('in_port=')) return [...(this.#byInPort.get(x) ?? [])];
    return [...this.all.keys()];
  }
}

function inPortOf(match: string): string | null {
  const i = match.indexOf('in_port=');
  if (i < 0) return null;
  const j = match.indexOf(',', i);
  return match.slice(i, j < 0 ? undefined : j);
}

/** Every simulated host's flows, per bridge row (rows are per host, so one WeakMap serves all). */
const flowsByBridge = new WeakMap<OvsBridgeRow, FlowTable>();

const keyOf = (table: number, priority: number, match: string) => `${table}|${priority}|${match}`;

function fail(argv: readonly string[], msg: string): never {
  throw new CommandFailed(argv, 1, `ovs-ofctl: ${msg}\n`);
}

function parseFlow(argv: readonly string[], text: string, where: string): Parsed {
  const out: Parsed = { cookie: null, cookieMask: null, table: null, priority: null, fields: [], actions: null };
  let head = text.trim();
  const a = head.indexOf('actions=');
  if (a >= 0) {
    out.actions = head.slice(a + 8);
    head = head.slice(0, a).replace(/[,\s]+$/, '');
  }
  if (!head) return out;
  for (const tok of head.split(',')) {
    const t = tok.trim();
    if (!t) continue;
    const eq = t.indexOf('=');
    const k = eq < 0 ? t : t.slice(0, eq);
    const v = eq < 0 ? '' : t.slice(eq + 1);
    try {
      switch (k) {
        case 'cookie': {
          const [c, m] = v.split('/');
          out.cookie = BigInt(c!);
          out.cookieMask = m === undefined ? null : m === '-1' ? U64 : BigInt(m);
          break;
        }
        case 'table':
          out.table = Number(v);
          if (!Number.isInteger(out.table) || out.table < 0 || out.table > 254) fail(argv, `${where}invalid table "${v}"`);
          break;
        case 'priority':
          out.priority = Number(v);
          if (!Number.isInteger(out.priority) || out.priority < 0 || out.priority > 65535) fail(argv, `${where}invalid priority "${v}"`);
          break;
        default:
          out.fields.push(t);
      }
    } catch (e) {
      if (e instanceof CommandFailed) throw e;
      fail(argv, `${where}${v}: invalid cookie`);
    }
  }
  return out;
}

/** A flow line as dump-flows prints it (OpenFlow 1.3: no "reset_counts", zero statistics). */
function dumpLine(f: Flow): string {
  const match = f.match ? `,${f.match}` : '';
  return ` cookie=0x${f.cookie.toString(16)}, duration=0.000s, table=${f.table}, n_packets=0, n_bytes=0, priority=${f.priority}${match} actions=${f.actions}`;
}

function matches(f: Flow, p: Parsed): boolean {
  if (p.table !== null && f.table !== p.table) return false;
  if (p.cookie !== null) {
    const mask = p.cookieMask ?? U64;
    if ((f.cookie & mask) !== (p.cookie & mask)) return false;
  }
  if (!p.fields.length) return true;
  const have = f.match.split(',');
  return p.fields.every((x) => have.includes(x));
}

function del(flows: FlowTable, p: Parsed, strict: boolean): void {
  if (strict) {
    const k = keyOf(p.table ?? 0, p.priority ?? 32768, p.fields.join(','));
    const f = flows.all.get(k);
    if (f && matches(f, { ...p, fields: [] })) flows.delete(k);
    return;
  }
  for (const k of flows.candidates(p.fields)) if (matches(flows.all.get(k)!, p)) flows.delete(k);
}

/** What the switch refuses: no actions; goto_table to a table not after this one (OFPBIC_BAD_TABLE_ID). */
function checkAdd(argv: readonly string[], p: Parsed, where: string): void {
  if (p.actions === null) fail(argv, `${where}must specify an action`);
  const g = p.actions.indexOf('goto_table:');
  if (g >= 0 && Number(p.actions.slice(g + 11)) <= (p.table ?? 0)) fail(argv, `${where}actions are invalid with specified match (OFPBIC_BAD_TABLE_ID)`);
}

function add(argv: readonly string[], flows: FlowTable, p: Parsed, where: string): void {
  checkAdd(argv, p, where);
  const table = p.table ?? 0;
  const priority = p.priority ?? 32768;
  const match = p.fields.join(',');
  flows.set(keyOf(table, priority, match), { cookie: p.cookie ?? 0n, table, priority, match, actions: p.actions! });
}

/** Interprets one ovs-ofctl argv against the host's bridges; `input` is the FILE when it is "-". */
export function runOvsOfctl(state: HostState, argv: readonly string[], input: string): string {
  let i = 1;
  let strict = false;
  for (; i < argv.length && argv[i]!.startsWith('-'); i++) {
    const o = argv[i]!;
    if (o === '-O' || o === '--protocols') i++;
    else if (o.startsWith('--protocols=') || o.startsWith('-O')) continue;
    else if (o === '--strict') strict = true;
    else if (o === '--bundle' || o === '--readd') continue;
    else fail(argv, `unrecognized option '${o}'`);
  }
  const cmd = argv[i];
  const brName = argv[i + 1];
  if (!cmd || !brName) fail(argv, `'${cmd ?? ''}' command requires at least 1 arguments`);
  const br = state.bridges.get(brName);
  if (!br) fail(argv, `${brName} is not a bridge or a socket`);
  let flows = flowsByBridge.get(br);
  if (!flows) flowsByBridge.set(br, (flows = new FlowTable()));
  const arg = argv[i + 2];
  switch (cmd) {
    case 'add-flows': {
      if (arg === undefined) fail(argv, "'add-flows' command requires at least 2 arguments");
      if (arg !== '-') fail(argv, `${arg}: open failed (No such file or directory)`);
      // Parse every line first: a bad line changes nothing, as ovs-ofctl parses the file before sending.
      const ops: { op: string; p: Parsed; where: string }[] = [];
      let n = 0;
      for (const raw of input.split('\n')) {
        n++;
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const sp = line.indexOf(' ');
        const first = sp < 0 ? line : line.slice(0, sp);
        const op = first === 'add' || first === 'delete' || first === 'delete_strict' ? first : 'add';
        const body = op === first && sp >= 0 ? line.slice(sp + 1) : op === first ? '' : line;
        const where = `-:${n}: `;
        const p = parseFlow(argv, body, where);
        if (op === 'add') checkAdd(argv, p, where);
        ops.push({ op, p, where });
      }
      for (const { op, p, where } of ops) {
        if (op === 'add') add(argv, flows, p, where);
        else del(flows, p, op === 'delete_strict');
      }
      return '';
    }
    case 'add-flow':
      if (arg === undefined) fail(argv, "'add-flow' command requires at least 2 arguments");
      add(argv, flows, parseFlow(argv, arg, ''), '');
      return '';
    case 'del-flows':
      del(flows, parseFlow(argv, arg ?? '', ''), strict);
      return '';
    case 'dump-flows': {
      const p = arg === undefined ? null : parseFlow(argv, arg, '');
      const list = [...flows.all.values()].filter((f) => !p || matches(f, p));
      list.sort((x, y) => x.table - y.table || y.priority - x.priority);
      return `OFPST_FLOW reply (OF1.3) (xid=0x2):\n${list.map((f) => `${dumpLine(f)}\n`).join('')}`;
    }
    default:
      return fail(argv, `unknown command '${cmd}'; use --help for help`);
  }
}
