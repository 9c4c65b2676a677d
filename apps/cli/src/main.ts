#!/usr/bin/env node
import { ConfigError, loadConfig } from '@elemta/infra/config';
import { createLogger } from '@elemta/infra/logger';
import { loadSigningKeys } from '@elemta/infra/mailauth';
import { dkimCommand } from './dkim.js';
import { eventsExportCommand } from './events-export.js';
import { queueCommand } from './queue.js';
import { replayCommand } from './replay.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';
import { verifyCommand } from './verify.js';

const EX_USAGE = 64;
const EX_CONFIG = 78; // sysexits.h EX_CONFIG: bad configuration

const usage = `Usage: elemta <command>

Commands:
  serve           run SMTP, delivery, projections, GraphQL, metrics and the dashboard
  config check    validate the configuration (environment and ELEMTA_CONFIG file) and print it
  replay          rebuild the views from event zero (safe while serve runs)
  events export   write events as NDJSON: [--stream <name>] [--from <ISO>] [--to <ISO>] [--types A,B] [--out <file>]
  verify          check the hash chain of every stream (or --stream <name>); exit 1 at the first broken link
  queue ls        list queued recipients: [--status S] [--zone Z] [--domain D] [--sender A] [--limit N] [--json]
  queue hold|release|retry|cancel (<message id>... | --domain D | --sender A | --zone Z) [--reason text]
  users add|passwd <name>   add an SMTP AUTH user or change its password (read from stdin, or asked for on a terminal)
  users remove <name> | users list [--json]
  dkim keygen     make a DKIM key: --domain D --selector S [--algorithm rsa|ed25519] [--bits 2048] [--out <file>]
  help            show this text

Settings come from the environment (ELEMTA_*, DATABASE_URL, EVENTSTORE_URL) and the YAML file in ELEMTA_CONFIG.`;

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, sub] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(usage);
    return command ? 0 : EX_USAGE;
  }
  // needs no configuration: a key is made before the configuration that names it
  if (command === 'dkim') return dkimCommand(argv.slice(1));
  let config;
  try {
    config = loadConfig(process.env);
    // signing keys are files the schema cannot see into: a missing or bad one stops serve before any socket opens
    if (command === 'serve' || command === 'config') loadSigningKeys(config.delivery.signing);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return EX_CONFIG;
    }
    throw err;
  }
  // JSON lines for log collectors; short readable lines when a person watches a terminal
  const log = createLogger({ level: config.log.level, node: config.node, pretty: process.stdout.isTTY === true });
  switch (command) {
    case 'serve':
      return serveCommand(config, log);
    case 'config':
      if (sub !== 'check') break;
      console.log(JSON.stringify(config, (k, v: unknown) => (k === 'url' && typeof v === 'string' ? v.replace(/:[^:@/]+@/, ':***@') : v), 2));
      console.log('configuration is valid');
      return 0;
    case 'replay':
      return replayCommand(config, log);
    case 'events':
      if (sub !== 'export') break;
      return eventsExportCommand(config, argv.slice(2));
    case 'verify':
      return verifyCommand(config, argv.slice(1));
    case 'queue':
      return queueCommand(config, argv.slice(1));
    case 'users':
      return usersCommand(config, argv.slice(1));
  }
  console.error(`unknown command: ${argv.join(' ')}\n\n${usage}`);
  return EX_USAGE;
};

main(process.argv.slice(2)).then(
  (code) => { if (code !== -1) process.exitCode = code; },
  (err: unknown) => {
    console.error(`elemta: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
