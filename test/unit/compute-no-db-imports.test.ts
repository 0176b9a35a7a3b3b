/**
 * Issue 11, point 4, held by the imports: nova-compute's code (its manager and ops, the
 * virt driver, the interrupted-build cleanup it shares, the host process's wiring in
 * compute-hosts.ts) reaches the database only
 * through ComputeData (objects/compute-data.ts), never through Kysely, the schema, the
 * stores or the scheduler's SQL helpers.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');
const COMPUTE_SIDE = ['compute/manager', 'compute/virt', 'compute/interrupted-build.ts', 'compute/compute-hosts.ts'];

/** What nova-compute's code may not import, with why. */
const FORBIDDEN: { pattern: RegExp; why: string }[] = [
  { pattern: /^kysely$/, why: 'a database handle' },
  { pattern: /\/db\//, why: 'the schema or the database module' },
  { pattern: /\/scheduler\/manager\.js$/, why: 'the scheduler (allocations are ComputeAllocations)' },
  { pattern: /\/objects\/host-usage\.js$/, why: "the resource tracker's SQL (use ComputeServices.updateHostUsage)" },
];
/** Store classes nova-compute may name only as types. */
const STORES = /\b(InstanceStore|ServiceStore|InstanceActions|MigrationStore|directComputeData)\b/;

function files(path: string): string[] {
  const abs = join(SRC, path);
  if (abs.endsWith('.ts')) return [abs];
  return readdirSync(abs, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(path, d.name)) : d.name.endsWith('.ts') ? [join(abs, d.name)] : []));
}

/** Every import of a file: its module and whether it imports values (not only types). */
function imports(text: string): { from: string; names: string; typeOnly: boolean }[] {
  return [...text.matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+'([^']+)';/gms)].map((m) => ({ from: m[3]!, names: m[2]!, typeOnly: Boolean(m[1]) }));
}

test("nova-compute's code imports no database, schema, store or SQL helper", () => {
  const found: string[] = [];
  const all = COMPUTE_SIDE.flatMap(files);
  assert.ok(all.length > 15, `only ${all.length} files found`);
  for (const file of all) {
    const rel = relative(SRC, file);
    for (const imp of imports(readFileSync(file, 'utf8'))) {
      for (const f of FORBIDDEN) if (f.pattern.test(imp.from)) found.push(`${rel} imports ${imp.from}: ${f.why}`);
      if (!imp.typeOnly) {
        const values = imp.names.replace(/\btype\s+\w+/g, '');
        if (STORES.test(values)) found.push(`${rel} imports a store from ${imp.from} as a value`);
      }
    }
  }
  assert.deepEqual(found, []);
});

test('the check sees a forbidden import (it can fail)', () => {
  const [imp] = imports("import { deleteAllocation } from '../db/allocations.js';\n");
  assert.ok(FORBIDDEN.some((f) => f.pattern.test(imp!.from)));
  const [store] = imports("import { type Migration, MigrationStore } from '../objects/migration.js';\n");
  assert.ok(STORES.test(store!.names.replace(/\btype\s+\w+/g, '')));
});
