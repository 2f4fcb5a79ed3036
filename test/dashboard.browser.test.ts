import { mkdirSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumPath } from './support/chromium.js';
import { startTestServer, type TestServer } from './support/server.js';

/** Where the test leaves its screenshot (the README's picture is a copy of it). */
const OUTPUT = new URL('../.test-output/', import.meta.url);

let browser: Browser;
let test: TestServer;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  test = await startTestServer();
}, 600_000);
afterAll(async () => {
  await browser?.close();
  await test?.server.close();
});

describe('dashboard in a real browser (Debian chromium)', () => {
  it('asks for the key, follows the events, executes an operation and shows its MI task moving to the decision', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(test.base);
    // A wrong key first: the page asks again.
    await page.getByTestId('key').fill('rxd_' + 'x'.repeat(43));
    await page.getByTestId('login').click();
    await expect.poll(() => page.getByTestId('status').textContent()).toBe('locked');
    expect(await page.getByTestId('key').isVisible()).toBe(true);
    expect(await page.getByTestId('health').isVisible()).toBe(false);
    await page.getByTestId('key').fill(test.key);
    await page.getByTestId('login').click();
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('live');
    expect(await page.getByTestId('key').isVisible()).toBe(false);
    await expect.poll(() => page.getByTestId('health').textContent(), { timeout: 10_000 }).toBe('healthy');
    await expect.poll(() => page.getByTestId('op-quotes').isVisible()).toBe(true);
    // The key is in session storage only.
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([
      1,
      0,
      '',
    ]);

    await page.getByTestId('execute-quotes').click();
    const bar = page.getByTestId('mi-quotes');
    // The bar moves: instances running before the decision…
    await expect.poll(() => bar.getAttribute('data-decided'), { timeout: 10_000 }).toBe('');
    // …then the decision: five quotes, the rest cancelled.
    await expect
      .poll(() => bar.getAttribute('data-decided'), { timeout: 15_000 })
      .toBe('completed (threshold)');
    const counts = await bar.locator('.counts').textContent();
    expect(counts).toMatch(/^5 ok · 0 failed · 7 cancelled · 0 running of 12/);
    const succeededWidth = await bar
      .locator('span.succeeded')
      .evaluate((e) => (e as HTMLElement).style.width);
    expect(parseFloat(succeededWidth)).toBeCloseTo((5 / 12) * 100, 1);
    await expect
      .poll(() => page.getByTestId('last-quotes').textContent(), { timeout: 10_000 })
      .toMatch(/^succeeded/);
    await expect.poll(() => page.getByTestId('root').textContent()).toMatch(/^[0-9a-f]{64} \(1 receipts\)$/);

    // A dropped stream reconnects with Last-Event-ID: a run that happened while the page was
    // disconnected reaches it after the reconnection (its event makes the page refresh the row).
    test.server.server.closeAllConnections(); // every socket dropped; the server still listens
    await expect
      .poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 })
      .toBe('reconnecting');
    await test.call('/api/operations/echo/execute', { method: 'POST' });
    expect(await page.getByTestId('last-echo').textContent()).toBe('–');
    await expect.poll(() => page.getByTestId('status').textContent(), { timeout: 10_000 }).toBe('live');
    await expect
      .poll(() => page.getByTestId('last-echo').textContent(), { timeout: 10_000 })
      .toMatch(/^succeeded/);
    mkdirSync(OUTPUT, { recursive: true });
    await page.waitForTimeout(1500); // a couple of metric points for the chart
    await page.screenshot({ path: new URL('dashboard.png', OUTPUT).pathname, fullPage: true });
    // The wrong key's 401s and the dropped stream are the only errors the page saw: no script
    // error, nothing missing.
    expect(
      consoleErrors.filter(
        (e) => !e.includes('status of 401') && !e.includes('ERR_INCOMPLETE_CHUNKED_ENCODING'),
      ),
    ).toEqual([]);
  });
});
