import { FuzzClient, type FuzzReply } from './fuzz-client.js';
import type { Expectation, Plan } from './fuzz-plan.js';

export type FuzzFailure = Readonly<{ session: number; seed: number; expected: string; got: string }>;

/** What the fuzzer saw, summed over sessions. */
export class FuzzTally {
  sessions = 0;
  /** Malformed lines answered as they must be (5xx, or 421 and closed). */
  refused = 0;
  dataStreams = 0;
  bytesSent = 0;
  /** Replies by code. */
  readonly codes = new Map<number, number>();
  readonly failures: FuzzFailure[] = [];

  count(code: number): void {
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
  }

  /** Failures by what was expected (without the line itself), then the first `examples` of them in full. */
  report(examples = 20): string {
    if (this.failures.length === 0) return '';
    const kinds = new Map<string, number>();
    for (const f of this.failures) {
      const kind = f.expected.split(':')[0]!;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    return [`${this.failures.length} failures:`, ...[...kinds].sort((a, b) => b[1] - a[1]).map(([k, n]) => `  ${n} × expected ${k}`),
      'first ones (FUZZ_SEED replays the run):',
      ...this.failures.slice(0, examples).map((f) => `  session ${f.session}: expected ${f.expected}, got ${f.got}`)].join('\n');
  }
}

const REPLY_TIMEOUT_MS = 10_000;
const CLOSE_TIMEOUT_MS = 6_000; // smtp-server destroys a half-closed socket after 5 s at most
const QUEUED = /^2\.0\.0 Ok: queued as [0-9a-f-]{36}$/;
const describe = (reply: FuzzReply | 'closed') => (reply === 'closed' ? 'connection closed without a reply' : `${reply.code} ${reply.text}`.slice(0, 200));

type Verdict = 'ok' | 'ended' | 'failed';
const linesIn = (bytes: Buffer) => bytes.reduce((n, b) => n + (b === 0x0a ? 1 : 0), 0);

/**
 * One planned session, every reply checked against its expectation. A session stops at the first reply that is
 * wrong (the rest would be noise); a 421 ends it as planned as long as the server then closes.
 */
class SessionRun {
  constructor(private readonly client: FuzzClient, private readonly plan: Plan, private readonly tally: FuzzTally) {}

  async run(): Promise<void> {
    const { client, plan } = this;
    if (plan.early) client.write(plan.early);
    let verdict: Verdict = plan.greets ? await this.greeting() : 'ok';
    for (const exchange of plan.exchanges) {
      if (verdict !== 'ok') return;
      client.write(exchange.send);
      verdict = await this.checkAll(exchange.expect);
    }
    if (verdict !== 'ok' || plan.end !== 'quit') return;
    client.write('QUIT\r\n');
    if ((await this.check({ label: 'QUIT', accept: 221 })) === 'ok' && !(await client.closedWithin(CLOSE_TIMEOUT_MS))) {
      this.fail('close after 221', 'connection left open');
    }
  }

  private fail(expected: string, got: string): Verdict {
    this.tally.failures.push({ session: this.plan.id, seed: this.plan.seed, expected, got });
    return 'failed';
  }

  private async checkAll(expectations: readonly Expectation[]): Promise<Verdict> {
    for (const exp of expectations) {
      const verdict = await this.check(exp);
      if (verdict !== 'ok') return verdict;
    }
    return 'ok';
  }

  private async check(exp: Expectation): Promise<Verdict> {
    if (exp.accept === 'silence') return (await this.client.silent(exp.ms ?? 300)) ? 'ok' : this.fail(`no reply to ${exp.label}`, 'a reply');
    if (exp.accept === 'closed') {
      const last = await this.client.reply(CLOSE_TIMEOUT_MS).catch(() => null);
      return last === 'closed' ? 'ended' : this.fail(`close without a reply after ${exp.label}`, last ? describe(last) : 'connection left open');
    }
    const reply = await this.client.reply(REPLY_TIMEOUT_MS).catch(() => null);
    if (reply === null) return this.fail(`a reply to ${exp.label}`, `nothing within ${REPLY_TIMEOUT_MS} ms`);
    if (reply === 'closed') return this.fail(`a reply to ${exp.label}`, describe(reply));
    this.tally.count(reply.code);
    if (exp.accept === 'refusal') return this.refusal(reply, exp.label);
    const queued = reply.code === 250 && QUEUED.test(reply.text);
    if (exp.accept === 'queued') return queued ? 'ok' : this.fail(`250 queued to ${exp.label}`, describe(reply));
    if (exp.accept === 'queued or 5xx') return queued || reply.code >= 500 ? 'ok' : this.fail(`250 queued or 5xx to ${exp.label}`, describe(reply));
    return reply.code === exp.accept ? 'ok' : this.fail(`${exp.accept} to ${exp.label}`, describe(reply));
  }

  /** A 5xx; or a 421, after which the server must close. */
  private async refusal(reply: FuzzReply, label: string): Promise<Verdict> {
    if (reply.code !== 421 && (reply.code < 500 || reply.code > 599)) return this.fail(`5xx to ${label}`, describe(reply));
    this.tally.refused++;
    if (reply.code !== 421) return 'ok';
    return (await this.client.closedWithin(CLOSE_TIMEOUT_MS)) ? 'ended' : this.fail(`close after 421 to ${label}`, 'connection left open');
  }

  /** The greeting; or, for input sent before it, 421 and closed, or the greeting and a refusal of each line sent. */
  private async greeting(): Promise<Verdict> {
    const early = this.plan.early;
    if (!early) return this.check({ label: 'greeting', accept: 220 });
    const label = `input before the greeting: ${JSON.stringify(early.toString('latin1').slice(0, 60))}`;
    const first = await this.client.reply(REPLY_TIMEOUT_MS).catch(() => null);
    if (first === null || first === 'closed') return this.fail(`220 or 421 after ${label}`, first ? describe(first) : 'nothing');
    this.tally.count(first.code);
    if (first.code === 421) return this.refusal(first, label);
    if (first.code !== 220) return this.fail(`220 or 421 after ${label}`, describe(first));
    return this.checkAll(Array.from({ length: linesIn(early) }, () => ({ label, accept: 'refusal' as const })));
  }
}

export const runSession = async (port: number, plan: Plan, tally: FuzzTally): Promise<void> => {
  tally.sessions++;
  tally.dataStreams += plan.dataStreams;
  tally.bytesSent += (plan.early?.length ?? 0) + plan.exchanges.reduce((n, e) => n + e.send.length, 0);
  const client = await FuzzClient.open(port);
  try {
    await new SessionRun(client, plan, tally).run();
  } finally {
    client.destroy();
  }
};

/** Runs `plans` over `concurrency` connections at a time. */
export const runSessions = async (port: (plan: Plan) => number, plans: readonly Plan[], concurrency: number, tally: FuzzTally): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const plan = plans[next++]!;
      await runSession(port(plan), plan, tally).catch((err: Error) => {
        tally.failures.push({ session: plan.id, seed: plan.seed, expected: 'a session to run', got: err.message });
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
};
