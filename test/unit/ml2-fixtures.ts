/** Shared set-up for the ML2 and agents unit tests: an in-memory neutron DB with only ML2's and the agents' tables. */
import type { Kysely } from 'kysely';
import { FakeClock, seededRandom } from '../../src/common/clock.js';
import { type Config, type DeepPartial, loadConfig } from '../../src/common/config.js';
import { silentLogger } from '../../src/common/log.js';
import { migrate, openDatabase } from '../../src/db/database.js';
import { agentMigrations } from '../../src/network/agents/db/migrations.js';
import type { NeutronDB } from '../../src/network/db/schema.js';
import { Ml2 } from '../../src/network/ml2/index.js';
import { ml2Migrations } from '../../src/network/ml2/db/migrations.js';

export interface Fixture {
  db: Kysely<NeutronDB>;
  cfg: Config;
  clock: FakeClock;
  ml2: Ml2;
  close(): Promise<void>;
}

export async function openTestDb(): Promise<{ db: Kysely<NeutronDB>; close(): Promise<void> }> {
  const handle = openDatabase<NeutronDB>('sqlite://:memory:');
  await migrate(handle.kysely as Kysely<unknown>, { ...ml2Migrations, ...agentMigrations }, 'neutron');
  return { db: handle.kysely, close: handle.close };
}

export function testConfig(overrides: DeepPartial<Config> = {}): Config {
  return loadConfig({ overrides });
}

/** A DB plus an initialised Ml2 over it. */
export async function ml2Fixture(overrides: DeepPartial<Config> = {}, seed = 1): Promise<Fixture> {
  const { db, close } = await openTestDb();
  const cfg = testConfig(overrides);
  const clock = new FakeClock();
  const ml2 = new Ml2({ cfg, log: silentLogger(), clock, random: seededRandom(seed) });
  await ml2.init(db);
  return { db, cfg, clock, ml2, close };
}
