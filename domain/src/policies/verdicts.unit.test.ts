import { describe, expect, it } from 'vitest';
import { checkResult, combineResults, failureResult, InvalidHookResultError, type HookResult } from './verdicts.js';

const run = (...results: Array<[string, HookResult]>) => results.map(([plugin, result]) => ({ plugin, result }));

describe('combineResults', () => {
  it('given only continues, when combined, then the stage continues with the annotations merged and nothing recorded', () => {
    const outcome = combineResults('rcpt', run(['a', { kind: 'continue', annotations: { x: '1' } }], ['b', { kind: 'continue', annotations: { y: '2' } }]));
    expect(outcome).toMatchObject({ verdict: 'continue', reply: null, decidedBy: null, annotations: { x: '1', y: '2' }, evaluations: [] });
  });

  it('given a tag then a reject, when combined, then the reject wins and both are recorded in order', () => {
    const outcome = combineResults('data', run(
      ['auth', { kind: 'tag', headers: [{ name: 'Authentication-Results', value: 'mx; spf=pass' }], reason: 'spf=pass' }],
      ['dmarc', { kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'Rejected by DMARC', reason: 'dmarc=fail' }],
    ));
    expect(outcome.verdict).toBe('reject');
    expect(outcome.reply).toEqual({ code: 550, enhancedCode: '5.7.1', text: 'Rejected by DMARC', command: 'DATA' });
    expect(outcome.decidedBy).toBe('dmarc');
    expect(outcome.headers).toEqual([{ name: 'Authentication-Results', value: 'mx; spf=pass' }]);
    expect(outcome.evaluations.map((e) => [e.plugin, e.verdict, e.reason])).toEqual([['auth', 'tag', 'spf=pass'], ['dmarc', 'reject', 'dmarc=fail']]);
  });

  it('given an accept before a tempfail, when combined, then the first terminal verdict wins', () => {
    const outcome = combineResults('rcpt', run(
      ['allow', { kind: 'accept', reason: 'allow-listed' }],
      ['greylist', { kind: 'tempfail', code: 451, enhancedCode: '4.7.1', text: 'Greylisted' }],
    ));
    expect(outcome).toMatchObject({ verdict: 'accept', decidedBy: 'allow', reason: 'allow-listed', reply: null });
    expect(outcome.evaluations).toHaveLength(1);
  });

  it('given a quarantine, when combined, then it is terminal and keeps its reason', () => {
    expect(combineResults('data', run(['av', { kind: 'quarantine', reason: 'suspicious attachment' }])))
      .toMatchObject({ verdict: 'quarantine', decidedBy: 'av', reason: 'suspicious attachment', reply: null });
  });

  it('given a quarantine with headers, when combined, then its headers and annotations are kept for the stored message', () => {
    const outcome = combineResults('data', run(
      ['a', { kind: 'tag', headers: [{ name: 'X-A', value: '1' }] }],
      ['dmarc', { kind: 'quarantine', reason: 'dmarc=fail', headers: [{ name: 'Authentication-Results', value: 'mx; dmarc=fail' }], annotations: { k: 'v' } }],
    ));
    expect(outcome.headers).toEqual([{ name: 'X-A', value: '1' }, { name: 'Authentication-Results', value: 'mx; dmarc=fail' }]);
    expect(outcome.annotations).toEqual({ k: 'v' });
  });
});

describe('checkResult', () => {
  it('treats undefined as continue and passes valid results through', () => {
    expect(checkResult(undefined)).toEqual({ kind: 'continue' });
    const tempfail = { kind: 'tempfail', code: 450, enhancedCode: '4.7.1', text: 'Try later' };
    expect(checkResult(tempfail)).toBe(tempfail);
  });

  it.each([
    [{ kind: 'reject', code: 250, enhancedCode: '2.0.0', text: 'ok' }, /5xx code/],
    [{ kind: 'reject', code: 550, enhancedCode: '4.7.1', text: 'no' }, /5\.x\.x enhanced code/],
    [{ kind: 'tempfail', code: 550, enhancedCode: '5.7.1', text: 'no' }, /4xx code/],
    [{ kind: 'reject', code: 550, enhancedCode: '5.7.1', text: 'two\r\nlines' }, /one line/],
    [{ kind: 'tag', headers: [{ name: 'Bad Name', value: 'x' }] }, /invalid header name/],
    [{ kind: 'tag', headers: [{ name: 'X-Ok', value: 'a\r\nInjected: yes' }] }, /without bare line breaks/],
    [{ kind: 'quarantine' }, /needs a reason/],
    [{ kind: 'tag', headers: [{ name: 'X-Ok', value: 'nul\0byte' }] }, /without bare line breaks or NUL/],
    [{ kind: 'continue', annotations: { score: 3 } }, /annotation "score" must be a string/],
    [{ kind: 'continue', annotations: { note: 'a\0b' } }, /without NUL/],
    [{ kind: 'accept', reason: 'ok\0' }, /reason must be a string without NUL/],
    [{ kind: 'explode' }, /unknown verdict/],
  ])('refuses %j', (result, message) => {
    expect(() => checkResult(result)).toThrow(InvalidHookResultError);
    expect(() => checkResult(result)).toThrow(message);
  });

  it('allows folded header values', () => {
    expect(checkResult({ kind: 'tag', headers: [{ name: 'Authentication-Results', value: 'mx;\r\n\tspf=pass' }] }).kind).toBe('tag');
  });
});

describe('failureResult', () => {
  it('maps onError to 451 4.3.0, a 554 or continue', () => {
    expect(failureResult('tempfail', 'x')).toMatchObject({ kind: 'tempfail', code: 451, enhancedCode: '4.3.0' });
    expect(failureResult('reject', 'x')).toMatchObject({ kind: 'reject', code: 554, enhancedCode: '5.3.0' });
    expect(failureResult('continue', 'x')).toEqual({ kind: 'continue' });
  });
});
