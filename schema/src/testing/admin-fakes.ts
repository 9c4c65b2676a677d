import { DomainError } from '@elemta/domain';
import type { ApiKeyAdmin, ApiKeyInfo, ProjectionAdmin, ProjectionReplay } from '../admin-ports.js';

const at = '2026-11-20T09:00:00.000Z';

/** The ApiKeyAdmin port over an array, with the real rules (last admin key, idempotent revoke); records the actors. */
export class InMemoryApiKeys implements ApiKeyAdmin {
  readonly keys: ApiKeyInfo[] = [{ id: '00000000000000a1', name: 'admin', role: 'admin', createdAt: at, lastUsedAt: null, revokedAt: null }];
  readonly actors: string[] = [];

  async create({ name, role, actor }: Parameters<ApiKeyAdmin['create']>[0]) {
    this.actors.push(actor);
    const apiKey: ApiKeyInfo = { id: String(this.keys.length + 1).padStart(16, '0'), name, role, createdAt: at, lastUsedAt: null, revokedAt: null };
    this.keys.push(apiKey);
    return { key: `elemta_${apiKey.id}_${'s'.repeat(43)}`, apiKey };
  }

  async revoke({ id, actor }: Parameters<ApiKeyAdmin['revoke']>[0]) {
    const index = this.keys.findIndex((k) => k.id === id);
    const key = this.keys[index];
    if (!key) throw new DomainError('API_KEY_NOT_FOUND', `no API key ${id}`);
    if (key.revokedAt) return key;
    if (key.role === 'admin' && !this.keys.some((k) => k !== key && k.role === 'admin' && !k.revokedAt)) {
      throw new DomainError('LAST_ADMIN_KEY', 'the last admin key cannot be revoked');
    }
    this.actors.push(actor);
    const revoked = { ...key, revokedAt: at };
    this.keys[index] = revoked;
    return revoked;
  }

  async list() {
    return [...this.keys];
  }
}

/** The ProjectionAdmin port: knows `views`, records each replay's actor. */
export class RecordingProjections implements ProjectionAdmin {
  readonly replays: { name: string; actor: string }[] = [];

  names() {
    return ['views'];
  }

  async replay(input: { name: string; actor: string }): Promise<ProjectionReplay> {
    if (input.name !== 'views') throw new DomainError('UNKNOWN_PROJECTION', `no projection ${input.name}; this node runs: views`);
    this.replays.push(input);
    return { projection: input.name, events: 3, startedAt: at, finishedAt: at };
  }
}
