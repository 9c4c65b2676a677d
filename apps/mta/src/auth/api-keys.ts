import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { withTransaction } from '@elemta/infra/postgres';
import { adminStream, apiKeyCreated, apiKeyRevoked, DomainError, type ApiKeyRole, type EventStore } from '@elemta/domain';
import type { ApiKeyAdmin, ApiKeyInfo } from '@elemta/schema';

export const apiKeyMigrations = [{
  id: 'mta-0001-api-keys',
  sql: `CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor', 'integrator')),
    secret_sha256 text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  );`,
}];

export type Viewer = Readonly<{ id: string; name: string; role: ApiKeyRole }>;

const KEY = /^elemta_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const COLUMNS = 'id, name, role, created_at, last_used_at, revoked_at';
type KeyRow = { id: string; name: string; role: ApiKeyRole; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };
const toInfo = (r: KeyRow): ApiKeyInfo => ({
  id: r.id, name: r.name, role: r.role, createdAt: r.created_at.toISOString(),
  lastUsedAt: r.last_used_at?.toISOString() ?? null, revokedAt: r.revoked_at?.toISOString() ?? null,
});
/** Serialises revocations (advisory, transaction-scoped), so two of them can never both pass the last-admin check. */
const REVOCATION_LOCK = "SELECT pg_advisory_xact_lock(hashtext('elemta:api-key-revocation'))";

/**
 * API keys: `elemta_<id>_<secret>`. Only the sha256 of the secret is stored (the secret is 256 random bits, so a
 * slow hash adds nothing); the key is shown once. Verification is one indexed lookup and a constant-time compare,
 * with no cache, so a revoked key stops working at once. Every change is appended to `admin-apiKeys` with the
 * caller as actor, inside the transaction that makes it: a failed append leaves the key as it was.
 */
export class ApiKeys implements ApiKeyAdmin {
  private readonly lastTouched = new Map<string, number>();

  constructor(private readonly pool: pg.Pool, private readonly store: EventStore, private readonly actor: string, private readonly node: string) {}

  /** `actor`: who creates it, recorded on `ApiKeyCreated` (`api-key:<id>`, or this node's actor for the first admin key). */
  async create({ name, role, actor }: Readonly<{ name: string; role: ApiKeyRole; actor: string }>): Promise<{ key: string; apiKey: ApiKeyInfo }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const at = new Date();
    return withTransaction(this.pool, async (tx) => {
      const { rows } = await tx.query<KeyRow>(
        `INSERT INTO api_keys (id, name, role, secret_sha256, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [id, name, role, sha256(secret), at]);
      await this.record(apiKeyCreated({ keyId: id, name, role, at: at.toISOString() }), id, actor);
      return { key: `elemta_${id}_${secret}`, apiKey: toInfo(rows[0]!) };
    });
  }

  /** Throws `DomainError`: `API_KEY_NOT_FOUND`, or `LAST_ADMIN_KEY` (revoking it would lock every admin out). */
  async revoke({ id, reason, actor }: Readonly<{ id: string; reason: string; actor: string }>): Promise<ApiKeyInfo> {
    return withTransaction(this.pool, async (tx) => {
      await tx.query(REVOCATION_LOCK);
      const { rows } = await tx.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id]);
      const key = rows[0];
      if (!key) throw new DomainError('API_KEY_NOT_FOUND', `no API key ${JSON.stringify(id)}`);
      if (key.revoked_at) return toInfo(key); // already revoked: nothing to record
      if (key.role === 'admin') {
        const others = await tx.query("SELECT 1 FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL AND id <> $1 LIMIT 1", [id]);
        if (others.rows.length === 0) {
          throw new DomainError('LAST_ADMIN_KEY', 'this is the last working admin key: create another admin key before revoking it');
        }
      }
      const at = new Date();
      const updated = await tx.query<KeyRow>(`UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, at]);
      await this.record(apiKeyRevoked({ keyId: id, reason, at: at.toISOString() }), id, actor);
      return toInfo(updated.rows[0]!);
    });
  }

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ApiKeyInfo[]> {
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`);
    return rows.map(toInfo);
  }

  async verify(key: string): Promise<Viewer | null> {
    const match = KEY.exec(key);
    if (!match) return null;
    const [, id, secret] = match as unknown as [string, string, string];
    const { rows } = await this.pool.query<{ name: string; role: ApiKeyRole; secret_sha256: string }>(
      'SELECT name, role, secret_sha256 FROM api_keys WHERE id = $1 AND revoked_at IS NULL', [id]);
    const row = rows[0];
    if (!row || !timingSafeEqual(Buffer.from(row.secret_sha256), Buffer.from(sha256(secret)))) return null;
    this.touch(id);
    return { id, name: row.name, role: row.role };
  }

  /** last_used_at, written at most once a minute per key so reads do not turn into writes. */
  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < 60_000) return;
    this.lastTouched.set(id, now);
    this.pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]).catch(() => {});
  }

  /** On first start: creates the admin key, stores it in `<dataDir>/admin.key` (0600) and returns it to be printed once. */
  async ensureAdminKey(dataDir: string): Promise<string | null> {
    const { rows } = await this.pool.query("SELECT 1 FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL LIMIT 1");
    if (rows.length > 0) return null;
    const { key } = await this.create({ name: 'admin (created on first start)', role: 'admin', actor: this.actor });
    const file = join(dataDir, 'admin.key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // the mode above applies only when the file is new
    return key;
  }

  private async record(event: ReturnType<typeof apiKeyCreated> | ReturnType<typeof apiKeyRevoked>, keyId: string, actor: string): Promise<void> {
    await this.store.appendToStream(adminStream('apiKeys'), [event], {
      expectedVersion: 'any', metadata: { correlationId: keyId, causationId: null, actor, node: this.node },
    });
  }

}

