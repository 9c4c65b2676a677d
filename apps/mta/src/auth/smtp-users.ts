import type pg from 'pg';
import {
  DomainError, adminStream, smtpUserAdded, smtpUserPasswordChanged, smtpUserRemoved,
  type AnyDomainEvent, type EventStore,
} from '@elemta/domain';
import { burnOneHash, hashPassword, verifyPassword } from './password-hash.js';

export const smtpUserMigrations = [{
  id: 'mta-0002-smtp-users',
  sql: `CREATE TABLE smtp_users (
    username text PRIMARY KEY CHECK (username = lower(username) AND username <> ''),
    password_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    disabled boolean NOT NULL DEFAULT false
  );`,
}];

export type SmtpUser = Readonly<{ username: string; createdAt: Date; updatedAt: Date; disabled: boolean }>;

/** User names are compared lower-cased; printable characters only, no spaces, at most 254 (an address fits). */
export const normalizeUsername = (name: string): string => name.trim().toLowerCase();
const VALID = /^[^\s\p{Cc}]{1,254}$/u;

/**
 * SMTP AUTH users in `smtp_users`, passwords as scrypt hashes (see password-hash.ts). Every change is recorded in
 * `admin-smtpUsers` (user name and actor, never the password or its hash) after the row is written.
 * Errors: `DomainError` with code SMTP_USER_INVALID, SMTP_USER_EXISTS or SMTP_USER_NOT_FOUND.
 */
export class SmtpUsers {
  constructor(private readonly pool: pg.Pool, private readonly store: EventStore, private readonly actor: string, private readonly node: string) {}

  async add(name: string, password: string): Promise<void> {
    const username = this.checked(name, password);
    const hash = await hashPassword(password);
    const { rowCount } = await this.pool.query(
      'INSERT INTO smtp_users (username, password_hash) VALUES ($1, $2) ON CONFLICT (username) DO NOTHING', [username, hash]);
    if (rowCount === 0) throw new DomainError('SMTP_USER_EXISTS', `user ${username} already exists`);
    await this.record(username, smtpUserAdded);
  }

  async setPassword(name: string, password: string): Promise<void> {
    const username = this.checked(name, password);
    const hash = await hashPassword(password);
    const { rowCount } = await this.pool.query(
      'UPDATE smtp_users SET password_hash = $2, updated_at = now() WHERE username = $1', [username, hash]);
    if (rowCount === 0) throw new DomainError('SMTP_USER_NOT_FOUND', `no user ${username}`);
    await this.record(username, smtpUserPasswordChanged);
  }

  async remove(name: string): Promise<void> {
    const username = normalizeUsername(name);
    const { rowCount } = await this.pool.query('DELETE FROM smtp_users WHERE username = $1', [username]);
    if (rowCount === 0) throw new DomainError('SMTP_USER_NOT_FOUND', `no user ${username}`);
    await this.record(username, smtpUserRemoved);
  }

  async list(): Promise<SmtpUser[]> {
    const { rows } = await this.pool.query<{ username: string; created_at: Date; updated_at: Date; disabled: boolean }>(
      'SELECT username, created_at, updated_at, disabled FROM smtp_users ORDER BY username');
    return rows.map((r) => ({ username: r.username, createdAt: r.created_at, updatedAt: r.updated_at, disabled: r.disabled }));
  }

  /**
   * The normalised user name when the password is right and the user is enabled, else null. An unknown user costs
   * one scrypt all the same, so the answer's timing does not tell whether the user exists.
   */
  async verify(name: string, password: string): Promise<string | null> {
    const username = normalizeUsername(name);
    const { rows } = VALID.test(username)
      ? await this.pool.query<{ password_hash: string; disabled: boolean }>(
        'SELECT password_hash, disabled FROM smtp_users WHERE username = $1', [username])
      : { rows: [] };
    const row = rows[0];
    if (!row) {
      await burnOneHash(password);
      return null;
    }
    const ok = await verifyPassword(password, row.password_hash);
    return ok && !row.disabled ? username : null;
  }

  private checked(name: string, password: string): string {
    const username = normalizeUsername(name);
    if (!VALID.test(username)) throw new DomainError('SMTP_USER_INVALID', 'a user name is 1 to 254 printable characters without spaces');
    if (password.length === 0) throw new DomainError('SMTP_USER_INVALID', 'the password is empty');
    return username;
  }

  private async record(username: string, event: (data: { username: string; actor: string; at: string }) => AnyDomainEvent): Promise<void> {
    await this.store.appendToStream(adminStream('smtpUsers'), [event({ username, actor: this.actor, at: new Date().toISOString() })], {
      expectedVersion: 'any', metadata: { correlationId: username, causationId: null, actor: this.actor, node: this.node },
    });
  }
}
