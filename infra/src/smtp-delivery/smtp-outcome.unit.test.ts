import { describe, expect, it } from 'vitest';
import {
  outcomesFromError, outcomesFromSendInfo, parseSmtpReply, statusOfCode, syntheticReply,
} from './smtp-outcome.js';

const peer = { host: 'mx.example.test', address: '127.0.0.1', port: 25 };

describe('parseSmtpReply', () => {
  it('splits code, enhanced code and text', () => {
    expect(parseSmtpReply('550 5.1.1 <a@example.test>: no such user', 'RCPT TO'))
      .toEqual({ code: 550, enhancedCode: '5.1.1', text: '<a@example.test>: no such user', command: 'RCPT TO' });
  });

  it('joins multi-line replies and strips the enhanced code from every line', () => {
    expect(parseSmtpReply('451-4.7.1 greylisted\n451 4.7.1 try again later', 'RCPT TO'))
      .toEqual({ code: 451, enhancedCode: '4.7.1', text: 'greylisted try again later', command: 'RCPT TO' });
  });

  it('has no enhanced code when there is none or its class does not match the reply code', () => {
    expect(parseSmtpReply('250 OK', 'DATA')?.enhancedCode).toBeNull();
    expect(parseSmtpReply('550 4.1.1 confused', 'DATA')).toMatchObject({ enhancedCode: null, text: '4.1.1 confused' });
  });

  it('refuses what is not a reply', () => {
    expect(parseSmtpReply('hello', 'DATA')).toBeNull();
    expect(parseSmtpReply('199 odd', 'DATA')).toBeNull();
  });
});

it('maps 2xx to delivered, 4xx to deferred and 5xx to bounced', () => {
  expect([statusOfCode(250), statusOfCode(421), statusOfCode(554)]).toEqual(['delivered', 'deferred', 'bounced']);
});

describe('outcomesFromSendInfo', () => {
  it('gives a refused recipient its own RCPT reply and the others the DATA reply', () => {
    const outcomes = outcomesFromSendInfo(['a@x.test', 'b@x.test', 'c@x.test'], {
      accepted: ['a@x.test', 'c@x.test'], rejected: ['b@x.test'], response: '250 2.0.0 Ok: queued as 1',
      rejectedErrors: [{ message: 'Recipient command failed', recipient: 'b@x.test', response: '550 5.1.1 unknown', responseCode: 550, command: 'RCPT TO' }],
    });
    expect(outcomes.map((o) => [o.recipient, o.status, o.reply.code, o.reply.command])).toEqual([
      ['a@x.test', 'delivered', 250, 'DATA'], ['b@x.test', 'bounced', 550, 'RCPT TO'], ['c@x.test', 'delivered', 250, 'DATA'],
    ]);
  });

  it('maps LMTP per-recipient refusals after DATA', () => {
    const outcomes = outcomesFromSendInfo(['a@x.test', 'b@x.test'], {
      accepted: ['a@x.test'], rejected: ['b@x.test'], response: '452 4.2.2 mailbox full',
      rejectedErrors: [{ message: 'Message failed', recipient: 'b@x.test', response: '452 4.2.2 mailbox full', responseCode: 452, command: 'DATA' }],
    });
    expect(outcomes[0]).toMatchObject({ status: 'delivered', reply: { code: 250, enhancedCode: '2.0.0' } });
    expect(outcomes[1]).toMatchObject({ status: 'deferred', reply: { code: 452, enhancedCode: '4.2.2', command: 'DATA' } });
  });
});

describe('outcomesFromError', () => {
  it('uses the peer answer to DATA for every recipient', () => {
    const err = { message: 'Message failed', code: 'EMESSAGE', response: '554 5.6.0 spam', responseCode: 554, command: 'DATA' };
    expect(outcomesFromError(['a@x.test'], err, peer, 'data')[0]).toMatchObject({ status: 'bounced', reply: { code: 554, enhancedCode: '5.6.0', command: 'DATA' } });
  });

  it('gives each recipient its RCPT answer when all were refused', () => {
    const err = {
      message: 'all rejected', code: 'EENVELOPE', response: '451 4.7.1 later', responseCode: 451, command: 'RCPT TO',
      rejectedErrors: [
        { message: 'x', recipient: 'a@x.test', response: '451 4.7.1 later', responseCode: 451, command: 'RCPT TO' },
        { message: 'x', recipient: 'b@x.test', response: '550 5.1.1 unknown', responseCode: 550, command: 'RCPT TO' },
      ],
    };
    expect(outcomesFromError(['a@x.test', 'b@x.test'], err, peer, 'envelope').map((o) => o.status)).toEqual(['deferred', 'bounced']);
  });

  it('defers a refused connection with 4.4.1 naming the host', () => {
    const err = { message: 'connect ECONNREFUSED', code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' };
    expect(outcomesFromError(['a@x.test'], err, peer, 'connect')[0]).toEqual({
      recipient: 'a@x.test', status: 'deferred',
      reply: { code: 451, enhancedCode: '4.4.1', text: 'connection refused by mx.example.test[127.0.0.1]:25', command: 'CONNECT' },
    });
  });

  it('defers a connection lost during DATA with 4.4.2', () => {
    const err = { message: 'Connection closed unexpectedly', code: 'ECONNECTION', command: 'CONN' };
    expect(syntheticReply(err, peer, 'data')).toMatchObject({ code: 451, enhancedCode: '4.4.2', command: 'DATA' });
  });

  it('defers TLS failures, even a 5xx answer to STARTTLS, with 4.7.x', () => {
    const handshake = { message: 'Error initiating TLS - self-signed certificate', code: 'ETLS', command: 'STARTTLS' };
    const refused = { message: 'Error upgrading', code: 'ETLS', response: '502 5.5.1 no', responseCode: 502, command: 'STARTTLS' };
    expect(outcomesFromError(['a@x.test'], handshake, peer, 'connect')[0]).toMatchObject({ status: 'deferred', reply: { enhancedCode: '4.7.5' } });
    expect(outcomesFromError(['a@x.test'], refused, peer, 'connect')[0]).toMatchObject({ status: 'deferred', reply: { enhancedCode: '4.7.4' } });
  });

  it('defers timeouts before the session as no answer (4.4.1)', () => {
    expect(syntheticReply({ message: 'Greeting never received', code: 'ETIMEDOUT' }, peer, 'connect'))
      .toMatchObject({ code: 451, enhancedCode: '4.4.1', command: 'CONNECT' });
  });
});
