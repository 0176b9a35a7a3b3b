/**
 * Issue 11, "Shape": all SQL lives in each service's db/ folder (src/compute/db,
 * src/network/db, src/network/ml2/db, src/identity/db, ...; src/db is the shared engine),
 * so the storage contract suite, which drives those modules, covers every statement the
 * services run. A query builder call, a raw `sql` template, DDL or a compiled query
 * anywhere else fails this test with the file and line.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

/** What writes SQL through Kysely: its query builders, raw templates, DDL and compiled queries. */
const SQL = [
  /\.(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto|selectNoFrom)\(/,
  /\bsql(`|\.(raw|ref|lit|id|table|join|val)\b)/,
  /\.schema\s*\.\s*(create|alter|drop)\w*\(/,
  /\b(CompiledQuery|executeQuery)\b/,
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

/** A file in a db/ folder (any depth under src/) holds SQL by design. */
const inDbFolder = (file: string) => relative(SRC, file).split(sep).slice(0, -1).includes('db');

/** The lines of `text` that write SQL, as "line: text". */
export function sqlLines(text: string): string[] {
  return text
    .split('\n')
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !/^\s*(\*|\/\/)/.test(line) && SQL.some((p) => p.test(line)))
    .map(({ line, n }) => `${n}: ${line.trim()}`);
}

test('no SQL outside the services\' db/ folders', () => {
  const files = tsFiles(SRC);
  assert.ok(files.length > 100, `only ${files.length} files under src/`);
  const found = files.filter((f) => !inDbFolder(f)).flatMap((f) => sqlLines(readFileSync(f, 'utf8')).map((l) => `${relative(SRC, f)}:${l}`));
  assert.deepEqual(found, []);
});

test('the check sees SQL and where it may live (it can fail)', () => {
  assert.deepEqual(sqlLines("const r = await db.selectFrom('ports').selectAll().execute();"), ["1: const r = await db.selectFrom('ports').selectAll().execute();"]);
  assert.equal(sqlLines('await sql`select 1`.execute(db);').length, 1);
  assert.equal(sqlLines("await db.schema.createTable('x').execute();").length, 1);
  assert.equal(sqlLines('// a comment naming db.selectFrom( is not SQL').length, 0);
  assert.equal(sqlLines('await db.transaction().execute(async (trx) => store.save(trx));').length, 0);
  assert.ok(inDbFolder(join(SRC, 'network/ml2/db/port-bindings.ts')));
  assert.ok(inDbFolder(join(SRC, 'db/database.ts')));
  assert.ok(!inDbFolder(join(SRC, 'network/plugin/ports.ts')));
});
