/**
 * Statements compiled once and run many times. Building a statement with Kysely's builder
 * (an immutable tree, copied at every call) and compiling it to SQL costs more CPU than
 * sending it: about a quarter of neutron-server's time in the distributed benchmark went
 * there. A `statement` is built once per database handle with placeholders, compiled,
 * and afterwards only its parameters change. Only for statements whose SQL text does not
 * depend on the values (no IN lists of varying length, no optional clauses): a shape
 * that varies gets one statement per shape (`statements`).
 */
import { type Compilable, type CompiledQuery, type Kysely, type QueryResult, createQueryId } from 'kysely';

/** A placeholder's value while a statement is built: text no caller's value holds. */
const MARK = '\u0000nimbus-param:';

/** Where each compiled parameter comes from: a named argument (an item of it when a list), or a constant of the statement. */
type Slot = { arg: string; index?: number } | { value: unknown };

/**
 * `n` placeholders standing for the items of the list `placeholder` stands for (an IN
 * list of a fixed length: `where('id', 'in', each(p.ids, n))`).
 */
export function each(placeholder: unknown, n: number): string[] {
  if (typeof placeholder !== 'string' || !placeholder.startsWith(MARK)) throw new Error('each() takes a placeholder (p.<name>)');
  // An empty list binds nothing (SQLite takes `IN ()`), which the compile check allows.
  if (n === 0) emptyLists.add(placeholder.slice(MARK.length));
  return Array.from({ length: n }, (_, i) => `${placeholder}#${i}`);
}

/** The placeholders given to each() with no items while a statement compiles (compiling is synchronous). */
const emptyLists = new Set<string>();

interface Template {
  compiled: CompiledQuery;
  slots: Slot[];
}

/** A statement built by `build` with placeholders `p.<name>`, run with values for them. */
export interface Statement<P, R> {
  /** All rows (an UPDATE/INSERT/DELETE without RETURNING gives none). */
  rows(db: Kysely<any>, params: P): Promise<R[]>;
  /** The first row, or undefined. */
  first(db: Kysely<any>, params: P): Promise<R | undefined>;
  /** The rows an UPDATE/DELETE/INSERT changed. */
  affected(db: Kysely<any>, params: P): Promise<number>;
  /** The driver's whole result (rows, affected rows, insert id). */
  result(db: Kysely<any>, params: P): Promise<QueryResult<R>>;
}

/**
 * The arguments of a statement writing `row`'s columns (`set(row)`, `values(row)`): each
 * value under the placeholder name `c_<column>`, with `rowShape` naming the shape.
 */
export type RowArgs = { columns: string[] } & { [column: `c_${string}`]: unknown };

/** `row` as RowArgs: its own enumerable columns in order, but those undefined (which Kysely's set() and values() leave out too). */
export function rowArgs(row: object): RowArgs {
  const args: RowArgs = { columns: [] };
  for (const [k, v] of Object.entries(row)) {
    if (v === undefined) continue;
    args.columns.push(k);
    args[`c_${k}`] = v;
  }
  return args;
}

/** The shape of RowArgs: which columns, in order. */
export const rowShape = (a: RowArgs): string => a.columns.join(',');

/** The row of placeholders to build a RowArgs statement with (`set(rowPlaceholders(p, a))`). */
export function rowPlaceholders(p: RowArgs, shapeFrom: RowArgs): Record<string, unknown> {
  return Object.fromEntries(shapeFrom.columns.map((k) => [k, p[`c_${k}`]]));
}

/**
 * Compiles `build` on first use per database (per Kysely instance: its transactions share
 * the compiled text) and reuses it. `build` receives `p`, whose every property is a
 * placeholder standing for the value of that name at run time; everything else in the
 * statement is fixed. Throws when a placeholder did not become a bound parameter (it was
 * inlined into the SQL text), so a statement that cannot be reused fails at once.
 */
export function statement<DB, P extends object, R>(build: (db: Kysely<DB>, p: P) => Compilable<R>): Statement<P, R> {
  // Keyed by the handle's adapter: one per Kysely instance, shared by its transactions,
  // and its dialect decides the SQL text. (withPlugin()/withSchema() handles share the
  // adapter but compile differently: none of the stores uses them.)
  const templates = new WeakMap<object, Template>();
  const compiledFor = (db: Kysely<any>, params: P): CompiledQuery<R> => {
    const key = db.getExecutor().adapter;
    let t = templates.get(key);
    if (!t) {
      t = compileTemplate(db as Kysely<DB>, build);
      templates.set(key, t);
    }
    const parameters = t.slots.map((s) => ('arg' in s ? (s.index === undefined ? (params as Record<string, unknown>)[s.arg] : ((params as Record<string, unknown>)[s.arg] as readonly unknown[])[s.index]) : s.value));
    return { ...t.compiled, parameters, queryId: createQueryId() } as CompiledQuery<R>;
  };
  return {
    async rows(db, params) {
      return (await db.executeQuery(compiledFor(db, params))).rows;
    },
    async first(db, params) {
      return (await db.executeQuery(compiledFor(db, params))).rows[0];
    },
    async affected(db, params) {
      return affectedRows(await db.executeQuery(compiledFor(db, params)));
    },
    result(db, params) {
      return db.executeQuery(compiledFor(db, params));
    },
  };
}

/**
 * Statements of a varying shape (which columns an UPDATE sets, how many values an IN
 * list holds), one compiled statement per shape: `shapeOf(params)` names the shape, and
 * `build` receives the params of the first call of that shape to decide the shape from.
 * At most `max` shapes are kept; further ones are compiled on each call.
 */
export function statements<DB, P extends object, R>(shapeOf: (params: P) => string, build: (db: Kysely<DB>, p: P, shapeFrom: P) => Compilable<R>, max = 200): Statement<P, R> {
  const byShape = new Map<string, Statement<P, R>>();
  const pick = (params: P): Statement<P, R> => {
    const shape = shapeOf(params);
    let s = byShape.get(shape);
    if (!s) {
      s = statement<DB, P, R>((db, p) => build(db, p, params));
      if (byShape.size < max) byShape.set(shape, s);
    }
    return s;
  };
  return {
    rows: (db, params) => pick(params).rows(db, params),
    first: (db, params) => pick(params).first(db, params),
    affected: (db, params) => pick(params).affected(db, params),
    result: (db, params) => pick(params).result(db, params),
  };
}

function compileTemplate<DB, P, R>(db: Kysely<DB>, build: (db: Kysely<DB>, p: P) => Compilable<R>): Template {
  const used = new Set<string>();
  emptyLists.clear();
  const p = new Proxy({} as Record<string, string>, {
    get: (_, name) => {
      if (typeof name !== 'string') return undefined;
      used.add(name);
      return `${MARK}${name}`;
    },
  }) as P;
  const compiled = build(db, p).compile();
  const slots = compiled.parameters.map((v): Slot => {
    if (typeof v !== 'string' || !v.startsWith(MARK)) return { value: v };
    const [arg, index] = v.slice(MARK.length).split('#');
    return index === undefined ? { arg: arg! } : { arg: arg!, index: Number(index) };
  });
  const bound = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
  const lost = [...used].filter((n) => !bound.has(n) && !emptyLists.has(n));
  if (lost.length || compiled.sql.includes(MARK)) throw new Error(`statement placeholder(s) ${lost.join(', ') || '?'} not bound as parameters in: ${compiled.sql}`);
  return { compiled, slots };
}

function affectedRows(r: QueryResult<unknown>): number {
  return Number(r.numAffectedRows ?? 0n);
}
