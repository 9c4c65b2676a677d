import type { ElemtaConfig } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { startElemta, type RunningElemta } from '@elemta/mta';

const printAdminKey = (config: ElemtaConfig, elemta: RunningElemta, key: string) => {
  console.log([
    '',
    '  Elemta created an admin API key. It is shown only this once:',
    '',
    `    ${key}`,
    '',
    `  It is also stored in ${config.dataDir}/admin.key (mode 0600).`,
    `  Dashboard: http://${config.http.host}:${elemta.ports.http}/   GraphQL: http://${config.http.host}:${elemta.ports.http}/graphql`,
    '',
  ].join('\n'));
};

/**
 * Runs until SIGINT or SIGTERM, then shuts down gracefully (SMTP sessions in progress finish, appends drain,
 * PostgreSQL stops last); a second signal exits at once. The handlers are installed before start-up, so a signal
 * that arrives while Elemta starts stops it as soon as it has started, never leaving PostgreSQL behind.
 */
export const serveCommand = async (config: ElemtaConfig, log: Logger): Promise<number> => {
  let requested = false;
  let release: (() => void) | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (requested) {
      log.warn({ signal }, 'second signal: exiting without waiting');
      process.exit(1);
    }
    requested = true;
    log.info({ signal }, 'shutting down');
    release?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let elemta: RunningElemta;
  try {
    elemta = await startElemta(config, log);
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    console.error(`elemta: start-up failed: ${(err as Error).message}`);
    return 1;
  }
  if (elemta.createdAdminKey) printAdminKey(config, elemta, elemta.createdAdminKey);
  await new Promise<void>((resolve) => {
    release = resolve;
    if (requested) resolve();
  });
  try {
    await elemta.stop();
    log.info('stopped');
    return 0;
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    return 1;
  }
};
