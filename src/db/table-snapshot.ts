/**
 * Snapshots of a service's tables that work on every dialect (issue 12 point 4): `save`
 * reads each table through Kysely and stores its rows as JSON text in the service's own
 * `nimbus_snapshots` table, so every process of that service (two neutron-servers
 * behind a balancer) can load what any of them saved; `load` deletes and re-inserts the
 * rows in one transaction, children deleted first and parents inserted first (foreign
 * keys stay on: MariaDB has no deferred constraints), and re-aims PostgreSQL's serial
 * sequences at the restored ids. The transaction is retried like any other (deadlock,
 * lost connection), so it has no effect outside the database.
 *
 * Never copied: the migration bookkeeping (`<prefix>_migrations` and its lock), the
 * snapshots themselves, and the tables the caller names as describing the running
 * processes (nova's services, neutron's agents), which a load leaves as they are.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { dialectOf } from './database.js';

/** The table every service's migrations create (see snapshotTableMigration). */
export const SNAPSHOT_TABLE = 'nimbus_snapshots';

/** The row holding a snapshot's metadata (its time, its tables). */
const META = '.meta';

/** Rows per stored chunk are capped by size too: MariaDB's max_allowed_packet is 16 MiB by default. */
const CHUNK_CHARS = 1_000_000;

/** The `nimbus_snapshots` table, one row per chunk of a table's rows; LONGTEXT on MariaDB, whose TEXT holds 64 KiB. */
export const snapshotTableMigration: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable(SNAPSHOT_TABLE)
      .addColumn('name', 'varchar(64)', (c) => c.notNull())
      .addColumn('table_name', 'varchar(255)', (c) => c.notNull())
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
      .addColumn('rows', dialectOf(db) === 'mysql' ? sql`longtext` : 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('pk_nimbus_snapshots', ['name', 'table_name', 'seq'])
      .execute();
  },
};

/** One snapshot as `list` tells it. */
export interface TableSnapshotInfo {
  name: string;
  created_at: string;
  tables: string[];
}

/** A JSON-safe cell: dates, bytes, big integers and JSON columns tagged so they come back as the driver took them. */
function encode(v: unknown): unknown {
  if (v instanceof Date) return { $date: v.toISOString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') };
  if (typeof v === 'bigint') return v.toString();
  if (v !== null && typeof v === 'object') return { $json: v };
  return v;
}

function decode(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const o = v as { $date?: string; $bytes?: string; $json?: unknown };
  if (o.$date !== undefined) return new Date(o.$date);
  if (o.$bytes !== undefined) return Buffer.from(o.$bytes, 'base64');
  // A JSON column takes its text on every dialect (pg would turn an array into an ARRAY literal).
  return JSON.stringify(o.$json);
}

/** The tables a snapshot copies: every base table but the bookkeeping and `skip`. */
async function copiedTables(db: Kysely<any>, skip: readonly string[]): Promise<string[]> {
  const tables = (await db.introspection.getTables()).filter((t) => !t.isView).map((t) => t.name);
  const locks = tables.filter((t) => t.endsWith('_migrations_lock'));
  const bookkeeping = new Set([...locks, ...locks.map((t) => t.slice(0, -'_lock'.length)), SNAPSHOT_TABLE]);
  return tables.filter((t) => !bookkeeping.has(t) && !skip.includes(t)).sort();
}

/** Each table's parents (the tables its foreign keys reference), read from the dialect's catalog. */
async function foreignKeys(db: Kysely<any>, tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  const add = (child: string, parent: string) => {
    if (child !== parent && parents.has(parent)) parents.get(child)?.add(parent);
  };
  const dialect = dialectOf(db);
  if (dialect === 'sqlite') {
    for (const t of tables) {
      const r = await sql<{ table: string }>`SELECT "table" FROM pragma_foreign_key_list(${t})`.execute(db);
      for (const { table } of r.rows) add(t, table);
    }
  } else if (dialect === 'postgres') {
    const r = await sql<{ child: string; parent: string }>`
      SELECT tc.table_name AS child, ccu.table_name AS parent
      FROM information_schema.table_constraints tc
      JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.constraint_schema = tc.constraint_schema
      WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()`.execute(db);
    for (const { child, parent } of r.rows) add(child, parent);
  } else {
    const r = await sql<{ child: string; parent: string }>`
      SELECT TABLE_NAME AS child, REFERENCED_TABLE_NAME AS parent
      FROM information_schema.KEY_COLUMN_USAGE
      WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_NAME IS NOT NULL`.execute(db);
    for (const { child, parent } of r.rows) add(child, parent);
  }
  return parents;
}

/** Parents before children (a cycle, which no schema here has, falls back to name order). */
function parentsFirst(parents: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string, path: Set<string>) => {
    if (seen.has(t) || path.has(t)) return;
    path.add(t);
    for (const p of [...(parents.get(t) ?? [])].sort()) visit(p, path);
    path.delete(t);
    seen.add(t);
    order.push(t);
  };
  for (const t of [...parents.keys()].sort()) visit(t, new Set());
  return order;
}

/**
 * Saves (or replaces) snapshot `name` of every table but `skip`, in one transaction
 * (REPEATABLE READ on the servers, so the tables agree with each other).
 */
export async function saveTables(db: Kysely<any>, name: string, createdAt: string, skip: readonly string[]): Promise<void> {
  const tb = dialectOf(db) === 'sqlite' ? db.transaction() : db.transaction().setIsolationLevel('repeatable read');
  await tb.execute(async (tx) => {
    const tables = await copiedTables(tx, skip);
    await tx.deleteFrom(SNAPSHOT_TABLE).where('name', '=', name).execute();
    const put = (table_name: string, seq: number, rows: string) => tx.insertInto(SNAPSHOT_TABLE).values({ name, table_name, seq, created_at: createdAt, rows }).execute();
    await put(META, 0, JSON.stringify({ tables }));
    for (const t of tables) {
      const rows = (await tx.selectFrom(t).selectAll().execute()) as Record<string, unknown>[];
      let chunk: string[] = [];
      let size = 0;
      let seq = 0;
      const flush = async () => {
        await put(t, seq++, `[${chunk.join(',')}]`);
        chunk = [];
        size = 0;
      };
      for (const row of rows) {
        const json = JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, encode(v)])));
        if (size + json.length > CHUNK_CHARS && chunk.length) await flush();
        chunk.push(json);
        size += json.length;
      }
      if (chunk.length || seq === 0) await flush();
    }
  });
}

/**
 * Rows of a table that describe something the snapshot did not know (nova's compute
 * node of a host that registered after the save): kept through a load, when no row of
 * the snapshot has their `key`, with the `reset` columns set (its usage back to none).
 */
export interface KeepMissingRows {
  table: string;
  key: string;
  reset: Record<string, unknown>;
}

/**
 * Puts every table snapshot `name` holds back as it was, in one transaction; false when
 * there is no such snapshot. A table the snapshot does not hold (one a later migration
 * added) is left as it is; so are `keepMissing`'s rows.
 */
export async function loadTables(db: Kysely<any>, name: string, keepMissing: readonly KeepMissingRows[] = []): Promise<boolean> {
  return db.transaction().execute(async (tx) => {
    const stored = await tx.selectFrom(SNAPSHOT_TABLE).select(['table_name', 'seq', 'rows']).where('name', '=', name).orderBy('table_name').orderBy('seq').execute();
    if (!stored.length) return false;
    const saved = new Map<string, Record<string, unknown>[]>();
    for (const s of stored as { table_name: string; rows: string }[]) {
      // Metadata and blobs (names starting with a dot) are not tables.
      if (s.table_name.startsWith('.')) continue;
      const rows = JSON.parse(s.rows) as Record<string, unknown>[];
      saved.set(s.table_name, [...(saved.get(s.table_name) ?? []), ...rows]);
    }
    const live = new Set(await copiedTables(tx, []));
    const order = parentsFirst(await foreignKeys(tx, [...live])).filter((t) => saved.has(t));
    const kept: { table: string; rows: Record<string, unknown>[] }[] = [];
    for (const k of keepMissing) {
      if (!saved.has(k.table)) continue;
      const known = new Set(saved.get(k.table)!.map((r) => r[k.key]));
      const ids = new Set((saved.get(k.table) ?? []).map((r) => r['id']));
      const rows = ((await tx.selectFrom(k.table).selectAll().execute()) as Record<string, unknown>[]).filter((r) => !known.has(r[k.key]));
      // An id the snapshot reuses is left to the database to number anew.
      kept.push({ table: k.table, rows: rows.map(({ id, ...r }) => ({ ...r, ...(id === undefined || ids.has(id) ? {} : { id }), ...k.reset })) });
    }
    for (const t of [...order].reverse()) await tx.deleteFrom(t).execute();
    for (const t of order) {
      const rows = saved.get(t)!.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, decode(v)])));
      if (!rows.length) continue;
      // PostgreSQL takes at most 65535 parameters a statement.
      const per = Math.max(1, Math.floor(30_000 / Object.keys(rows[0]!).length));
      for (let i = 0; i < rows.length; i += per) await tx.insertInto(t).values(rows.slice(i, i + per)).execute();
    }
    for (const k of kept) for (const r of k.rows) await tx.insertInto(k.table).values(r).execute();
    if (dialectOf(tx) === 'postgres') await resetSequences(tx, order);
    return true;
  });
}

/** Aims each serial column's sequence past the restored ids (PostgreSQL does not on explicit inserts). */
async function resetSequences(tx: Kysely<any>, tables: readonly string[]): Promise<void> {
  const r = await sql<{ table_name: string; column_name: string }>`
    SELECT table_name, column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`.execute(tx);
  for (const { table_name, column_name } of r.rows) {
    if (!tables.includes(table_name)) continue;
    await sql`SELECT setval(pg_get_serial_sequence(${table_name}, ${column_name}), COALESCE((SELECT MAX(${sql.ref(column_name)}) FROM ${sql.table(table_name)}), 0) + 1, false)`.execute(tx);
  }
}

/**
 * Stores `text` under `key` (which must start with a dot) beside snapshot `name`'s
 * tables: what is not a table but belongs to the snapshot (the simulated hosts' devices,
 * the list of parts). Call after saveTables, which replaces everything of that name.
 */
export async function putSnapshotBlobs(db: Kysely<any>, name: string, blobs: ReadonlyMap<string, string>, createdAt: string): Promise<void> {
  for (const key of blobs.keys()) if (!key.startsWith('.')) throw new Error(`a snapshot blob's key starts with a dot: ${key}`);
  if (!blobs.size) return;
  await db.transaction().execute(async (tx) => {
    await tx.deleteFrom(SNAPSHOT_TABLE).where('name', '=', name).where('table_name', 'in', [...blobs.keys()]).execute();
    for (const [key, text] of blobs) await tx.insertInto(SNAPSHOT_TABLE).values({ name, table_name: key, seq: 0, created_at: createdAt, rows: text }).execute();
  });
}

/** The blobs of snapshot `name` whose keys start with `prefix`, by key. */
export async function snapshotBlobs(db: Kysely<any>, name: string, prefix: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom(SNAPSHOT_TABLE).select(['table_name', 'rows']).where('name', '=', name).where('table_name', 'like', `${prefix}%`).orderBy('table_name').execute();
  return new Map((rows as { table_name: string; rows: string }[]).filter((r) => r.table_name.startsWith(prefix)).map((r) => [r.table_name, r.rows]));
}

/** The snapshots stored, by name. */
export async function listTableSnapshots(db: Kysely<any>): Promise<TableSnapshotInfo[]> {
  const rows = await db.selectFrom(SNAPSHOT_TABLE).select(['name', 'created_at', 'rows']).where('table_name', '=', META).orderBy('name').execute();
  return (rows as { name: string; created_at: string; rows: string }[]).map((r) => ({ name: r.name, created_at: r.created_at, tables: (JSON.parse(r.rows) as { tables: string[] }).tables }));
}

/** Removes snapshot `name`; false when there was none. */
export async function deleteTableSnapshot(db: Kysely<any>, name: string): Promise<boolean> {
  const r = await db.deleteFrom(SNAPSHOT_TABLE).where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
