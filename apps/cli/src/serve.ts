import type { ElemtaConfig } from '@elemta/infra/config';
import type { Logger } from '@elemta/infra/logger';
import { startElemta } from '@elemta/mta';

/** Runs until SIGINT or SIGTERM, then shuts down gracefully; a second signal exits at once. */
export const serveCommand = async (config: ElemtaConfig, log: Logger): Promise<number> => {
  let elemta;
  try {
    elemta = await startElemta(config, log);
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    console.error(`elemta: start-up failed: ${(err as Error).message}`);
    return 1;
  }
  if (elemta.createdAdminKey) {
    console.log([
      '',
      '  Elemta created an admin API key. It is shown only this once:',
      '',
      `    ${elemta.createdAdminKey}`,
      '',
      `  It is also stored in ${config.dataDir}/admin.key (mode 0600).`,
      `  Dashboard: http://${config.http.host}:${elemta.ports.http}/   GraphQL: http://${config.http.host}:${elemta.ports.http}/graphql`,
      '',
    ].join('\n'));
  }
  const running = elemta;
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.warn({ signal }, 'second signal: exiting without waiting');
        process.exit(1);
      }
      stopping = true;
      log.info({ signal }, 'shutting down');
      running.stop().then(() => {
        log.info('stopped');
        resolve(0);
      }, (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        resolve(1);
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
};
