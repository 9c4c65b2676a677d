import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, startSmtpSink, startTestDnsServer } from '@elemta/infra/testing';
import {
  duplicatesAt, EventLog, Fixtures, killGroup, mxZone, outgoing, receivedCounts, startSending, writeDeliveryConfig,
} from './support/delivery-fixtures.js';

const fx = new Fixtures();
afterAll(() => fx.stopAll());

const MESSAGES = 1000;
/** Short, so that the restarted node takes over the dead one's claims soon after it is up. */
const LEASE = '3s';

describe('delivery survives kill -9 of Elemta in the middle of delivering', () => {
  it('delivers every acknowledged message after a restart, with no recipient recorded as delivered twice', async () => {
    const databaseUrl = await fx.database('dcrash');
    const relayPort = await freePort();
    const sink = await startSmtpSink({ host: '127.0.0.2', port: relayPort });
    fx.onStop(() => sink.close());
    const dns = await startTestDnsServer({ test: { SOA: {} } });
    fx.onStop(() => dns.close());
    mxZone(dns, 'sink.test', '127.0.0.2');
    const log = await EventLog.connect(databaseUrl);
    fx.onStop(() => log.close());
    const dataDir = fx.tempDir('elemta-dcrash-');
    const node = { name: 'crash', dataDir, databaseUrl, configFile: writeDeliveryConfig(dataDir, { relayPort, dns, lease: LEASE }) };

    const first = await fx.startNode(node);
    const started = Date.now();
    const sending = startSending(first.smtpPort, outgoing('crash', MESSAGES, 'rcpt@sink.test'), 8);
    // kill while messages are still coming in and delivery trails behind them
    await eventually(async () => (sending.acknowledged.size >= MESSAGES * 0.9 ? true : undefined), 60_000, 5);
    killGroup(first.daemon);
    const killedAt = Date.now();
    sending.stop();
    const sinkAtKill = sink.messages.length;
    await first.daemon.exited;
    const acknowledged = new Map(sending.acknowledged); // no 250 can come from a dead process
    const ids = [...acknowledged.values()];
    const settledAtKill = await log.delivered(ids);
    const deliveredAtKill = settledAtKill.size;
    expect(deliveredAtKill).toBeGreaterThan(0);
    expect(deliveredAtKill, 'the kill came before delivery finished').toBeLessThan(ids.length);

    const second = await fx.startNode(node);
    await sending.done;
    await eventually(async () => ((await log.deliveredCount(ids)) === ids.length ? true : undefined), 60_000, 100);
    const caughtUp = Date.now();

    const counts = receivedCounts(sink);
    expect([...acknowledged.keys()].filter((header) => !counts.has(header)), 'acknowledged but never received').toEqual([]);
    expect(await log.doubleDeliveries()).toEqual([]);
    const duplicates = duplicatesAt(sink);
    // a duplicate can only be a message in the crash window: handed to the sink, its outcome not yet in the log
    const outsideWindow = duplicates.filter(([header]) => settledAtKill.has(acknowledged.get(header) ?? ''));
    expect(outsideWindow, 'sent again although the log said delivered').toEqual([]);
    console.log(
      `delivery crash: acknowledged ${ids.length}/${MESSAGES}, delivered ${ids.length} (${deliveredAtKill} before the kill, `
      + `sink had ${sinkAtKill}), duplicates at the sink ${duplicates.length}${duplicates.length ? ` ${JSON.stringify(duplicates.slice(0, 5))}` : ''}; `
      + `killed ${killedAt - started} ms into sending, restart took ${second.startupMs} ms, all delivered ${caughtUp - killedAt} ms after the kill (lease ${LEASE})`);
  });
});
