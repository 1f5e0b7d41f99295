import { existsSync, mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../dashboard/fixtures.js';
import { type StartedGateway, startGateway } from '../helpers/gateway.js';
import { type HealthServer, startHealthServer } from '../helpers/health-server.js';
import { call } from '../helpers/http.js';

/**
 * The gateway's Swagger UI in Debian's chromium: the definition selector offers the gateway and
 * every registered service, a service's document loads with its server at /proxy/{name}, and
 * "Try it out" reaches the instance through the gateway. Waits are deadlines, never sleeps.
 */

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`Swagger UI browser test skipped: ${CHROMIUM} is missing`);

const WAIT = { timeout: 15_000 };
const TOKEN = 'swagger-ui-admin-token-0123';

describe.skipIf(!hasChromium)('service documents in Swagger UI, in a real browser', () => {
  let instance: HealthServer;
  let gw: StartedGateway;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;
  const pageErrors: string[] = [];

  const register = (service_name: string) =>
    call(
      'POST',
      `${gw.url}/api/discovery/services`,
      { service_name, base_url: instance.url },
      { authorization: `Bearer ${TOKEN}` },
    );
  const definitions = () => page.locator('.topbar select option').allTextContents();

  beforeAll(async () => {
    instance = await startHealthServer({
      handler: (req, res) => {
        if (req.url !== '/openapi.json') return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            openapi: '3.0.3',
            info: { title: 'Items API', version: '1.0.0' },
            servers: [{ url: 'http://items.internal.example:9999' }],
            paths: {
              '/items': { get: { summary: 'List items', responses: { 200: { description: 'ok' } } } },
            },
          }),
        );
        return true;
      },
    });
    gw = await startGateway({ adminTokens: [TOKEN] });
    await register('items');
    chromium = await launchChromium();
    page = await chromium.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (message) => {
      // The 401 of /docs/services before the user authorizes is logged by the browser, and expected.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        pageErrors.push(message.text());
      }
    });
    mkdirSync('test-artifacts', { recursive: true });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
    await instance?.close();
  });

  it('without the admin token, offers the gateway API alone', async () => {
    await page.goto(`${gw.url}/docs`);
    await page.locator('.info .title', { hasText: 'msa-gateway' }).waitFor(WAIT);
    await page.locator('.topbar select').waitFor(WAIT);
    expect(await definitions()).toEqual(['msa-gateway']);
  });

  it('once authorized, lists the gateway first and then the registered service', async () => {
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    await page.locator('#auth-bearer-value').fill(TOKEN);
    await page.locator('.modal-ux button.authorize').click();
    await page.locator('.modal-ux button.btn-done').click();
    await page.reload();
    await page.locator('.topbar select option', { hasText: 'items' }).waitFor({ state: 'attached', ...WAIT });
    expect(await definitions()).toEqual(['msa-gateway', 'items']);
  });

  it('selecting the service shows its paths, served through /proxy/items', async () => {
    await page.locator('.topbar select').selectOption('items');
    await page.locator('.info .title', { hasText: 'Items API' }).waitFor(WAIT);
    await page.locator('.opblock-summary-path', { hasText: '/items' }).waitFor(WAIT);
    expect(await page.locator('.servers select option').allTextContents()).toEqual([
      expect.stringContaining('/proxy/items'),
    ]);
  });

  it('"Try it out" reaches the instance through the gateway', async () => {
    await page.locator('.opblock-summary', { hasText: '/items' }).click();
    await page.getByRole('button', { name: 'Try it out' }).click();
    await page.getByRole('button', { name: 'Execute' }).click();
    await page.locator('.live-responses-table .response-col_status', { hasText: '200' }).waitFor(WAIT);
    await page.locator('.request-url', { hasText: '/proxy/items/items' }).waitFor(WAIT);
    expect(instance.requests.some((r) => r.url === '/items')).toBe(true);
    await page.screenshot({ path: 'test-artifacts/swagger-ui-service.png', fullPage: true });
  });

  it('a service registered later is offered on the next page load', async () => {
    await register('later');
    await page.goto(`${gw.url}/docs`);
    await page.locator('.topbar select option', { hasText: 'later' }).waitFor({ state: 'attached', ...WAIT });
    expect(await definitions()).toEqual(['msa-gateway', 'items', 'later']);
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    expect(pageErrors).toEqual([]);
  });
});
