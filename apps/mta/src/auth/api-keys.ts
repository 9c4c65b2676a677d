import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { adminStream, apiKeyCreated, type ApiKeyRole, type EventStore } from '@elemta/domain';

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

/**
 * API keys: `elemta_<id>_<secret>`. Only the sha256 of the secret is stored (the secret is 256 random bits, so a
 * slow hash adds nothing); the key is shown once. Verification is one indexed lookup and a constant-time compare,
 * with no cache, so a revoked key stops working at once.
 */
export class ApiKeys {
  private readonly lastTouched = new Map<string, number>();

  constructor(private readonly pool: pg.Pool, private readonly store: EventStore, private readonly actor: string, private readonly node: string) {}

  async create(name: string, role: ApiKeyRole): Promise<{ id: string; key: string }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.pool.query('INSERT INTO api_keys (id, name, role, secret_sha256) VALUES ($1, $2, $3, $4)', [id, name, role, sha256(secret)]);
    await this.store.appendToStream(adminStream('apiKeys'), [apiKeyCreated({ keyId: id, name, role, at: new Date().toISOString() })], {
      expectedVersion: 'any', metadata: { correlationId: id, causationId: null, actor: this.actor, node: this.node },
    });
    return { id, key: `elemta_${id}_${secret}` };
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
    const { key } = await this.create('admin (created on first start)', 'admin');
    const file = join(dataDir, 'admin.key');
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // the mode above applies only when the file is new
    return key;
  }
}
