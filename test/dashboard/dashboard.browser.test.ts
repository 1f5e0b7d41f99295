import { existsSync, mkdirSync } from 'node:fs';
import pino from 'pino';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway, type Gateway } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { dashboardPlugin } from '../../src/observability/dashboard-plugin.js';
import { createRequestStats } from '../../src/observability/stats.js';
import { buildDashboard, CHROMIUM, launchChromium, startInstance } from './fixtures.js';

/**
 * The dashboard against a real gateway and a real instance, driven through Debian's
 * chromium: an operator enters the admin token, registers an instance from the page,
 * watches it turn HEALTHY and then UNHEALTHY with the reason, and deregisters it.
 * Every wait is a deadline on something the page shows, never a fixed sleep.
 */

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

const TOKEN = 'dashboard-test-token';
const SERVICE = 'demo-service';
const WAIT = { timeout: 15_000 };

describe.skipIf(!hasChromium)('the dashboard in a real browser', () => {
  let gateway: Gateway;
  let origin: string;
  let instance: Awaited<ReturnType<typeof startInstance>>;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  let wired = false;

  beforeAll(async () => {
    buildDashboard();
    instance = await startInstance();
    gateway = await buildGateway(
      testConfig({
        adminTokens: [TOKEN],
        healthCheckIntervalMs: 200,
        healthCheckTimeoutMs: 150,
        unhealthyThreshold: 1,
      }),
      { logger: pino({ level: 'silent' }) },
    );
    // Until buildGateway registers the dashboard itself, the test adds it (possible before listen()),
    // with stats the proxy does not feed: then only the totals (from the metrics) can move.
    await gateway.app.after();
    wired = gateway.app.hasRoute({ method: 'GET', url: '/dashboard' });
    if (!wired) {
      const { registry, health, metrics, events } = gateway;
      await gateway.app.register(dashboardPlugin, {
        registry,
        health,
        metrics,
        events,
        stats: createRequestStats(),
      });
    }
    const address = await gateway.listen();
    origin = `http://127.0.0.1:${address.port}`;
    chromium = await launchChromium();
    context = chromium.context;
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (message) => {
      // The browser logs every non-2xx fetch (the 401 before the token, the refused registration); those are expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text());
      }
    });
    mkdirSync('test-artifacts', { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await gateway?.close();
    await instance?.close();
  });

  const card = (): Locator => page.locator(`article[data-service="${SERVICE}"]`);
  const instanceItem = (): Locator => card().locator('li.instance', { hasText: instance.url });
  const badge = (status: string): Locator =>
    instanceItem().locator('.badge', { hasText: new RegExp(`^${status}$`) });
  const fact = (scope: Locator, term: string): Locator =>
    scope.locator('dl > div', { has: page.locator('dt', { hasText: term }) }).locator('dd');

  it('asks for the admin token, then goes live with it', async () => {
    await page.goto(`${origin}/dashboard`);
    await page.locator('#connection', { hasText: 'Admin token required' }).waitFor(WAIT);
    await page.getByLabel('Admin token').fill(TOKEN);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('#connection', { hasText: 'Live' }).waitFor(WAIT);
    await page.getByText('0 services, 0 instances, 0 healthy').waitFor(WAIT);
  });

  it('shows the API problem readably when a registration is refused', async () => {
    await page.getByLabel('Service name').fill(SERVICE);
    await page.getByLabel('Base URL').fill('http://user:secret@127.0.0.1:9/');
    await page.getByRole('button', { name: 'Register' }).click();
    const problem = page.locator('#register-error');
    await problem.getByText('Validation failed (400)').waitFor(WAIT);
    await problem.locator('li', { hasText: /^base_url: / }).waitFor(WAIT);
  });

  it('registers an instance from the form and shows it turn HEALTHY', async () => {
    await page.getByLabel('Service name').fill(SERVICE);
    await page.getByLabel('Base URL').fill(instance.url);
    await page.getByLabel('Weight').fill('2');
    await page.getByRole('button', { name: 'Register' }).click();
    await page
      .locator('#register-result', { hasText: `Registered ${instance.url} in ${SERVICE}` })
      .waitFor(WAIT);
    expect(await page.locator('#register-error').isHidden()).toBe(true);
    await instanceItem().waitFor(WAIT);
    await badge('HEALTHY').waitFor(WAIT);
    expect(await fact(instanceItem(), 'Weight').textContent()).toBe('2');
    expect(await fact(instanceItem(), 'Lease').textContent()).toBe('no lease');
    await fact(instanceItem(), 'Last check').filter({ hasText: /ago$/ }).waitFor(WAIT);
    await card()
      .locator('.service-head .badge', { hasText: /^HEALTHY$/ })
      .waitFor(WAIT);
    await page.locator('#timeline li', { hasText: 'UNKNOWN → HEALTHY' }).waitFor(WAIT);
  });

  it('shows the traffic of the service from the stats endpoint', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${origin}/proxy/${SERVICE}/hello`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    // Stats are polled every 5 s.
    await fact(card(), 'Requests').filter({ hasText: /^3$/ }).waitFor(WAIT);
    if (wired) {
      expect(await fact(card(), 'Rate (1 min)').textContent()).not.toBe('0 req/s');
      expect(await fact(card(), 'p95').textContent()).toMatch(/ ms$/);
    }
  });

  it('turns the instance UNHEALTHY with the reason when its /health fails', async () => {
    instance.setHealthy(false);
    await badge('UNHEALTHY').waitFor(WAIT);
    await fact(instanceItem(), 'Last error').filter({ hasText: 'health check returned 500' }).waitFor(WAIT);
    const change = page.locator('#timeline li', {
      hasText: 'HEALTHY → UNHEALTHY: health check returned 500',
    });
    await change.waitFor(WAIT);
    // Newest first: the failure sits above the earlier recovery.
    expect(await page.locator('#timeline li').first().textContent()).toContain('health check returned 500');
    await page.screenshot({ path: 'test-artifacts/dashboard.png', fullPage: true });
  });

  it('fits a phone screen in one column', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await page.screenshot({ path: 'test-artifacts/dashboard-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('deregisters the instance from the page and shows it gone', async () => {
    page.once('dialog', (dialog) => void dialog.accept());
    await instanceItem()
      .getByRole('button', { name: /^Deregister instance / })
      .click();
    await card().waitFor({ state: 'detached', ...WAIT });
    await page.locator('#timeline li', { hasText: 'deregistered' }).waitFor(WAIT);
    await page.getByText('0 services, 0 instances, 0 healthy').waitFor(WAIT);
    expect((await fetch(`${origin}/api/discovery/services/${SERVICE}`, auth())).status).toBe(404);
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(pageErrors).toEqual([]);
  });
});

function auth(): RequestInit {
  return { headers: { authorization: `Bearer ${TOKEN}` } };
}
