import { userInfo } from 'node:os';
import { DomainError } from '@elemta/domain';
import type { ElemtaConfig } from '@elemta/infra/config';
import { SmtpUsers, authFailureMigrations, smtpUserMigrations } from '@elemta/mta';
import { UsageError, parseOptions, withUsage } from './cli-args.js';
import { stderrLogger, withStores } from './open-stores.js';

const USAGE = `Usage: elemta users add <name> [--password-stdin]
       elemta users passwd <name> [--password-stdin]
       elemta users remove <name>
       elemta users list [--json]
The password is read from stdin (first line) when it is not a terminal or with --password-stdin; on a terminal it is
asked for twice, without echo.`;

/** Reads one password: without echo, twice, on a terminal; else the whole of stdin minus one trailing newline. */
const readPassword = async (fromStdin: boolean): Promise<string> => {
  if (fromStdin || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  const first = await promptHidden('Password: ');
  const again = await promptHidden('Password again: ');
  if (first !== again) throw new DomainError('SMTP_USER_INVALID', 'the passwords differ');
  return first;
};

const promptHidden = (prompt: string): Promise<string> => new Promise((resolve, reject) => {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  let typed = '';
  const finish = (error: Error | null) => {
    stdin.off('data', onData);
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
    if (error) reject(error); else resolve(typed);
  };
  const onData = (data: Buffer) => {
    for (const ch of data.toString('utf8')) {
      if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
      if (ch === '\u0003') return finish(new DomainError('SMTP_USER_INVALID', 'cancelled'));
      if (ch === '\u007f' || ch === '\b') typed = typed.slice(0, -1);
      else typed += ch;
    }
  };
  stdin.on('data', onData);
});

const nameOf = (positionals: readonly string[]): string => {
  if (positionals.length !== 1) throw new UsageError('give exactly one user name');
  return positionals[0]!;
};

/**
 * `elemta users add|passwd|remove|list`: SMTP AUTH users in PostgreSQL, each change recorded in `admin-smtpUsers`.
 * Works beside a running `elemta serve` (it attaches to its embedded PostgreSQL). Exit codes: 0 done, 1 the user
 * exists / does not exist / the name or password is unusable, 64 bad arguments (78 for bad configuration comes
 * from main).
 */
export const usersCommand = (config: ElemtaConfig, argv: readonly string[]): Promise<number> => withUsage(USAGE, async () => {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseOptions(rest, { 'password-stdin': { type: 'boolean' }, json: { type: 'boolean' } }, true);
  if (sub !== 'list' && values.json) throw new UsageError('--json applies to list only');
  if ((sub === 'list' || sub === 'remove') && values['password-stdin']) throw new UsageError(`--password-stdin does not apply to ${sub}`);
  let work: (users: SmtpUsers) => Promise<void>;
  try {
    switch (sub) {
      case 'add':
      case 'passwd': {
        const name = nameOf(positionals);
        const password = await readPassword(values['password-stdin'] === true);
        if (password.length === 0) throw new DomainError('SMTP_USER_INVALID', 'the password is empty');
        work = async (users) => {
          if (sub === 'add') await users.add(name, password); else await users.setPassword(name, password);
          console.log(sub === 'add' ? `added user ${name.trim().toLowerCase()}` : `changed the password of ${name.trim().toLowerCase()}`);
        };
        break;
      }
      case 'remove': {
        const name = nameOf(positionals);
        work = async (users) => { await users.remove(name); console.log(`removed user ${name.trim().toLowerCase()}`); };
        break;
      }
      case 'list':
        if (positionals.length > 0) throw new UsageError('list takes no user name');
        work = async (users) => {
          const all = await users.list();
          if (values.json) { console.log(JSON.stringify(all)); return; }
          for (const u of all) console.log(`${u.username}\tcreated ${u.createdAt.toISOString()}\tchanged ${u.updatedAt.toISOString()}${u.disabled ? '\tdisabled' : ''}`);
        };
        break;
      default:
        throw new UsageError(sub ? `unknown users command: ${sub}` : 'missing users command');
    }
    const log = stderrLogger(config);
    const actor = `cli:${userInfo().username}@${config.node}`;
    await withStores(config, log, { migrations: [...smtpUserMigrations, ...authFailureMigrations], attach: true },
      ({ pool, store }) => work(new SmtpUsers(pool, store, actor, config.node)));
    return 0;
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    console.error(`elemta: ${err.message}`);
    return 1;
  }
});
