/**
 * Issue 8, defect 1: an error's wire type is declared, never derived from a runtime
 * class name. The shipped bundle (esbuild) renames colliding classes, so a type read
 * from `constructor.name` answered "PortNotFound2". This walks every module under src/
 * that declares a class, and every exported OpenStackError subclass in it must declare
 * its own `wireType` (an own static, not its parent's) or compute its own `type`.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { OpenStackError } from '../../src/common/errors.js';

const SRC = resolve(import.meta.dirname, '../../src');

/** Bases nobody raises as such: they carry no OpenStack name of their own. */
const ABSTRACT = new Set<string>(['OpenStackError']);

/**
 * Wire types one service declares on two classes on purpose, each with its reason.
 * Different services may share a name freely (nova's and neutron's PortNotFound are two
 * exceptions of two services), so only duplicates within one service are listed.
 */
const INTENDED_SHARED: Record<string, string> = {
  'network:InvalidIpForSubnet': "neutron_lib's and neutron.ipam's InvalidIpForSubnet (different texts)",
  'network:IpAddressGenerationFailure': "neutron.ipam's (a subnet) and neutron_lib's (a network) IpAddressGenerationFailure",
  'compute:VirtualInterfacePlugException': "virt's VIF driver raises its own VirtualInterfacePlugException (default text) next to nova's",
};

/** Modules that act on import (the CLI entry point) are not imported. */
const NOT_IMPORTED = new Set(['cli/main.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

type ErrorClass = (abstract new (...args: never[]) => OpenStackError) & { wireType: string };

interface Found {
  cls: ErrorClass;
  module: string;
  /** The service that owns the class: src/<service>/... */
  service: string;
}

async function errorClasses(): Promise<Found[]> {
  const seen = new Map<unknown, Found>();
  for (const file of sourceFiles(SRC)) {
    const rel = relative(SRC, file);
    if (NOT_IMPORTED.has(rel) || !/\bclass\s+\w+\s+extends\b/.test(readFileSync(file, 'utf8'))) continue;
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      if (typeof v !== 'function' || !(v.prototype instanceof OpenStackError || v === OpenStackError) || seen.has(v)) continue;
      seen.set(v, { cls: v as ErrorClass, module: rel, service: rel.split('/')[0]! });
    }
  }
  return [...seen.values()];
}

/** A class computes its `type` per instance (NamedError, webob's HttpFault) when it defines its own getter. */
const computesOwnType = (cls: ErrorClass) => Object.getOwnPropertyDescriptor(cls.prototype, 'type')?.get !== undefined && cls !== OpenStackError;

describe('error wire types are declared', async () => {
  const found = await errorClasses();

  test('the walk finds the error modules (about 190 classes)', () => {
    const modules = new Set(found.map((f) => f.module));
    for (const m of ['common/errors.ts', 'identity/errors.ts', 'image/errors.ts', 'network/errors.ts', 'compute/errors.ts', 'network/ipam/errors.ts', 'network/ml2/errors.ts', 'network/agents/errors.ts', 'compute/virt/errors.ts', 'compute/api/microversion.ts', 'common/http.ts', 'common/auth.ts']) {
      assert.ok(modules.has(m), `no error class found in ${m}`);
    }
    assert.ok(found.length >= 180, `only ${found.length} classes found`);
  });

  test('every exported OpenStackError subclass declares its own wire type', () => {
    const missing = found
      .filter(({ cls }) => !ABSTRACT.has(cls.name) && !Object.hasOwn(cls, 'wireType') && !computesOwnType(cls))
      .map(({ cls, module }) => `${module}: ${cls.name} (would report its parent's "${cls.wireType}")`);
    assert.deepEqual(missing, [], 'add `static override readonly wireType: string = "<OpenStack exception name>"`');
  });

  test('wire types are identifiers, and an instance reports its class\'s', () => {
    for (const { cls, module } of found) {
      if (ABSTRACT.has(cls.name) || computesOwnType(cls)) continue;
      assert.match(cls.wireType, /^[A-Za-z][A-Za-z0-9]*$/, `${module}: ${cls.name}`);
      // `type` reads the constructor's static, so it cannot depend on the class's runtime name.
      const fake = Object.create(cls.prototype) as OpenStackError;
      assert.equal(fake.type, cls.wireType, `${module}: ${cls.name}`);
    }
  });

  test('no service declares one wire type on two classes unless intended', () => {
    const byKey = new Map<string, string[]>();
    for (const { cls, module, service } of found) {
      if (!Object.hasOwn(cls, 'wireType') || ABSTRACT.has(cls.name)) continue;
      const key = `${service}:${cls.wireType}`;
      byKey.set(key, [...(byKey.get(key) ?? []), `${module}: ${cls.name}`]);
    }
    const dups = [...byKey].filter(([key, classes]) => classes.length > 1 && !(key in INTENDED_SHARED)).map(([key, classes]) => `${key} ← ${classes.join(', ')}`);
    assert.deepEqual(dups, []);
    const stale = Object.keys(INTENDED_SHARED).filter((key) => (byKey.get(key)?.length ?? 0) < 2);
    assert.deepEqual(stale, [], 'INTENDED_SHARED lists a duplicate that no longer exists');
  });

  test('no error class is defined inline (it could not be found and checked here)', () => {
    const inline = sourceFiles(SRC).filter((f) => /new \(class\b/.test(readFileSync(f, 'utf8')));
    assert.deepEqual(inline.map((f) => relative(SRC, f)), []);
  });
});

describe('nova fault names follow the status', async () => {
  const { faultName } = await import('../../src/compute/api/faults.js');
  test('webob status → fault key', () => {
    assert.deepEqual(
      [400, 403, 404, 409, 413, 500].map(faultName),
      ['badRequest', 'forbidden', 'itemNotFound', 'conflictingRequest', 'overLimit', 'computeFault'],
    );
  });
});
