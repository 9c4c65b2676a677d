import { describe, expect, it } from 'vitest';
import { findSmtpReplies, formatSmtpReply, replyClass } from './smtp-reply';

describe('SMTP replies in event data', () => {
  it('finds a top-level reply and nested replies with their paths', () => {
    const data = {
      reply: { code: 250, enhancedCode: '2.0.0', text: 'Ok', command: 'DATA' },
      attempts: [{ reply: { code: 451, enhancedCode: null, text: 'later', command: 'RCPT TO' } }],
      size: 12,
    };
    expect(findSmtpReplies(data)).toEqual([
      { path: 'reply', reply: { code: 250, enhancedCode: '2.0.0', text: 'Ok', command: 'DATA' } },
      { path: 'attempts[0].reply', reply: { code: 451, enhancedCode: null, text: 'later', command: 'RCPT TO' } },
    ]);
  });

  it('ignores objects that only look like replies', () => {
    expect(findSmtpReplies({ code: 42, text: 'no' })).toEqual([]);
    expect(findSmtpReplies({ code: 250 })).toEqual([]);
    expect(findSmtpReplies(null)).toEqual([]);
  });

  it('formats replies as on the wire, multi-line text with continuation lines', () => {
    expect(formatSmtpReply({ code: 550, enhancedCode: '5.1.1', text: 'User unknown', command: 'RCPT TO' })).toBe('550 5.1.1 User unknown');
    expect(formatSmtpReply({ code: 451, enhancedCode: null, text: 'Greylisted\nSee docs', command: null })).toBe('451-Greylisted\n451 See docs');
  });

  it('classifies replies by their first digit', () => {
    const reply = (code: number) => ({ code, enhancedCode: null, text: '', command: null });
    expect([replyClass(reply(250)), replyClass(reply(421)), replyClass(reply(554))]).toEqual(['success', 'transient', 'permanent']);
  });
});
