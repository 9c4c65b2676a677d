import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTransport } from 'nodemailer';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElemtaDaemon, type RunningDaemon } from './elemta-daemon';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const EXPORTED_INDEX = fileURLToPath(new URL('../out/index.html', import.meta.url));

/** From STACK-NOTES.md: Debian's Chromium, offline, with every non-local host unresolvable. */
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
];

const subject = `Dashboard e2e ${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

const sendMail = async (smtpPort: number, mailSubject = subject): Promise<void> => {
  const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, name: 'e2e.example.org' });
  try {
    await transport.sendMail({ from: 'alice@example.org', to: 'bob@example.net', subject: mailSubject, text: 'Hello Bob,\r\nthis is the dashboard test.\r\n' });
  } finally {
    transport.close();
  }
};

const attribute = async (page: Page, selector: string, name: string): Promise<string[]> =>
  page.locator(selector).evaluateAll((nodes, attr) => nodes.map((n) => n.getAttribute(attr) ?? ''), name);

describe('dashboard against a real elemta daemon', () => {
  let daemon: RunningDaemon | undefined;
  let profileDir: string | undefined;
  let browser: BrowserContext | undefined;

  beforeAll(async () => {
    if (!HAS_CHROMIUM) return; // the test itself fails and says why
    if (!existsSync(EXPORTED_INDEX)) throw new Error(`${EXPORTED_INDEX} is missing: run \`npm run build\` in apps/dashboard first`);
    daemon = await startElemtaDaemon();
    await sendMail(daemon.ports.smtp);
  });

  afterAll(async () => {
    await browser?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
    if (daemon) expect(await daemon.stop()).toBe(0);
  });

  it('signs in, finds the message by subject and shows its envelope and event timeline', async () => {
    // A browser test that does not run checks nothing: without Chromium it fails (`.ci/run` installs it).
    if (!HAS_CHROMIUM) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`);
    const { baseUrl, adminKey } = daemon!;
    await mkdir(ARTIFACTS, { recursive: true });
    profileDir = await mkdtemp(join(tmpdir(), 'elemta-chromium-'));
    browser = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1400, height: 900 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);

    // A wrong key is refused by the server and reported on the form.
    await page.goto(`${baseUrl}/`);
    await page.getByTestId('api-key-input').fill('not-the-key');
    await page.getByTestId('sign-in-submit').click();
    await expect.poll(() => page.getByTestId('sign-in-error').textContent()).toContain('not accepted');

    await page.getByTestId('api-key-input').fill(adminKey);
    await page.getByTestId('sign-in-submit').click();
    await page.waitForURL(`${baseUrl}/messages/**`);

    // The projection may lag the 250; auto-refresh brings the row in without a reload.
    await page.getByTestId('search-input').fill(subject);
    const row = page.getByTestId('message-row').filter({ hasText: subject });
    await row.waitFor({ state: 'visible', timeout: 45_000 });
    await expect.poll(() => page.getByTestId('message-row').count()).toBe(1);
    expect(await row.textContent()).toContain('alice@example.org');
    expect(await row.textContent()).toContain('bob@example.net');
    await page.screenshot({ path: join(ARTIFACTS, 'messages.png') });

    await row.getByTestId('message-link').click();
    await page.waitForURL(/\/message\/\?id=/);
    await expect.poll(() => page.getByTestId('message-subject').textContent(), { timeout: 30_000 }).toBe(subject);
    await expect
      .poll(() => attribute(page, '[data-testid="timeline-entry"]', 'data-event-type'), { timeout: 45_000 })
      .toEqual(expect.arrayContaining(['MessageAccepted', 'MessageQueued']));

    const types = await attribute(page, '[data-testid="timeline-entry"]', 'data-event-type');
    const versions = (await attribute(page, '[data-testid="timeline-entry"]', 'data-version')).map(Number);
    expect(types[0]).toBe('MessageAccepted');
    expect(types.indexOf('MessageQueued')).toBeGreaterThan(types.indexOf('MessageAccepted'));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(versions[0]).toBe(1);

    expect(await page.getByTestId('envelope-mail-from').textContent()).toBe('alice@example.org');
    expect(await attribute(page, '[data-testid="envelope-recipient"]', 'data-address')).toEqual(['bob@example.net']);

    const accepted = page.locator('[data-testid="timeline-entry"][data-event-type="MessageAccepted"]');
    await accepted.locator('summary').filter({ hasText: /^data$/ }).click();
    expect(await accepted.getByTestId('event-data').textContent()).toContain('bob@example.net');
    expect(await accepted.getByTestId('event-hash').textContent()).toMatch(/^[0-9a-f]{8}…[0-9a-f]{4}$/);
    await page.screenshot({ path: join(ARTIFACTS, 'message.png'), fullPage: true });

    // Live: with the list open, a message accepted over SMTP appears without a reload.
    await page.goto(`${baseUrl}/messages/`);
    await page.getByTestId('message-row').first().waitFor({ state: 'visible', timeout: 30_000 });
    const live = `${subject} live`;
    await sendMail(daemon!.ports.smtp, live);
    const acceptedAt = Date.now(); // the 250 has arrived
    // checked on every animation frame: a locator's waitFor re-checks only every 500 ms after its first tries
    await page.waitForFunction(
      (text) => [...document.querySelectorAll('[data-testid="message-row"]')].some((row) => row.textContent?.includes(text)),
      live, { polling: 'raf', timeout: 10_000 },
    );
    const visibleAfterMs = Date.now() - acceptedAt;
    console.log(`[dashboard e2e] a message appeared in the open list ${visibleAfterMs} ms after its 250`);
    expect(visibleAfterMs).toBeLessThan(1000); // the promise: visible within one second
  });
});
