import { describe, expect, it } from 'vitest';
import { defaultHeadersToAdd, messageIdValue, type DefaultHeaderSettings, type HeaderRewriteClient } from './default-headers.js';

const settings: DefaultHeaderSettings = { messageId: true, date: true, onlyTrusted: true };
const foreign: HeaderRewriteClient = { role: 'mx', authenticated: false, trustedNetwork: false };
const none = { messageId: false, date: false };

describe('default headers', () => {
  it('adds Message-ID and Date to a message an authenticated user submitted without them', () =>
    expect(defaultHeadersToAdd(none, { ...foreign, authenticated: true }, settings)).toEqual(['Message-ID', 'Date']));

  it('completes mail from a trusted network and from submission listeners', () => {
    expect(defaultHeadersToAdd(none, { ...foreign, trustedNetwork: true }, settings)).toEqual(['Message-ID', 'Date']);
    expect(defaultHeadersToAdd(none, { ...foreign, role: 'submission' }, settings)).toEqual(['Message-ID', 'Date']);
  });

  it('leaves foreign mail arriving at the MX as it is', () => expect(defaultHeadersToAdd(none, foreign, settings)).toEqual([]));

  it('leaves mail without a session (API submissions) alone unless every client is rewritten', () => {
    expect(defaultHeadersToAdd(none, null, settings)).toEqual([]);
    expect(defaultHeadersToAdd(none, null, { ...settings, onlyTrusted: false })).toEqual(['Message-ID', 'Date']);
  });

  it('adds only what is missing and what is turned on', () => {
    const local = { ...foreign, authenticated: true };
    expect(defaultHeadersToAdd({ messageId: true, date: false }, local, settings)).toEqual(['Date']);
    expect(defaultHeadersToAdd({ messageId: true, date: true }, local, settings)).toEqual([]);
    expect(defaultHeadersToAdd(none, local, { ...settings, date: false })).toEqual(['Message-ID']);
  });

  it('writes a Message-ID in angle brackets', () => expect(messageIdValue('0190-ab', 'mx.example.org')).toBe('<0190-ab@mx.example.org>'));
});
