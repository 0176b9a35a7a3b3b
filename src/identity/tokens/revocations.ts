/**
 * Revocation events (keystone's revoke_api): persisted, and mirrored in memory so the
 * in-process validator honours a revocation the moment `revoke` resolves.
 */
import { isoMicros, type Clock, type Random } from '../../common/clock.js';
import type { RevocationRow } from '../db/schema.js';
import type { IdentityStore } from '../db/store.js';
import type { TokenPayload } from './signer.js';

/** What to revoke: every token matching all given fields and issued no later than now. */
export interface RevocationEvent {
  auditId?: string;
  userId?: string;
  projectId?: string;
}

interface Loaded {
  auditId: string | null;
  userId: string | null;
  projectId: string | null;
  issuedBefore: number;
  revokedAt: number;
}

/** The set of revocation events, loaded once and appended to. */
export class RevocationList {
  #events: Loaded[] = [];

  constructor(
    private readonly store: IdentityStore,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly tokenLifetimeMs: number,
  ) {}

  /** Loads the persisted events, dropping those older than any live token. */
  async load(): Promise<void> {
    await this.store.pruneRevocations(isoMicros(this.clock.now() - this.tokenLifetimeMs - 60_000));
    this.#events = (await this.store.listRevocations()).map(fromRow);
  }

  /** Persists an event and applies it at once. */
  async revoke(ev: RevocationEvent): Promise<void> {
    const now = this.clock.now();
    const row: RevocationRow = {
      id: this.random.bytes(16).toString('hex'),
      audit_id: ev.auditId ?? null,
      user_id: ev.userId ?? null,
      project_id: ev.projectId ?? null,
      issued_before: isoMicros(now),
      revoked_at: isoMicros(now),
    };
    await this.store.addRevocation(row);
    this.#events.push(fromRow(row));
  }

  /** True when some event covers the token. */
  isRevoked(t: Pick<TokenPayload, 'auditIds' | 'userId' | 'projectId' | 'issuedAt'>): boolean {
    return this.#events.some(
      (e) =>
        t.issuedAt <= e.issuedBefore &&
        (e.auditId === null || t.auditIds.includes(e.auditId)) &&
        (e.userId === null || e.userId === t.userId) &&
        (e.projectId === null || e.projectId === t.projectId),
    );
  }
}

function fromRow(r: RevocationRow): Loaded {
  return {
    auditId: r.audit_id,
    userId: r.user_id,
    projectId: r.project_id,
    issuedBefore: Date.parse(r.issued_before),
    revokedAt: Date.parse(r.revoked_at),
  };
}
