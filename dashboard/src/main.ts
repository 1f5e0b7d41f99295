import { ApiError, createApi, errorLines } from './api.js';
import { type ConnectionState, followEvents } from './live.js';
import { createStore } from './store.js';
import type { GatewayEvent, InstanceRecord, ServiceRecord } from './types.js';
import { serviceCard, showError, statsFacts, tick, timelineItem } from './view.js';

/**
 * The dashboard: a snapshot of the registry, then live updates from the SSE stream
 * (each event refetches the one service it names), stats polled every few seconds.
 */

const TOKEN_KEY = 'msa-gateway.admin-token';
const STATS_EVERY_MS = 5000;

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const ui = {
  connection: byId('connection'),
  summary: byId('summary'),
  servicesError: byId('services-error'),
  services: byId('services'),
  empty: byId('services-empty'),
  timeline: byId<HTMLOListElement>('timeline'),
  tokenForm: byId<HTMLFormElement>('token-form'),
  token: byId<HTMLInputElement>('token'),
  tokenClear: byId<HTMLButtonElement>('token-clear'),
  registerForm: byId<HTMLFormElement>('register-form'),
  registerResult: byId('register-result'),
  registerError: byId('register-error'),
};

const store = createStore();
const api = createApi(() => sessionStorage.getItem(TOKEN_KEY) ?? '');
/** The JSON each card was drawn from, so an unchanged record does not redraw (and keep focus). */
const drawn = new Map<string, string>();

function setConnection(state: ConnectionState, text: string): void {
  ui.connection.className = `conn conn-${state}`;
  ui.connection.textContent = text;
}

/** Routes any failure: a token problem shows in the header, the rest where it happened. */
function report(err: unknown, region: HTMLElement = ui.servicesError): void {
  if (err instanceof ApiError && err.isAuth) {
    setConnection(
      'auth',
      `${err.status === 401 ? 'Admin token required' : 'Admin token rejected'}: enter it above`,
    );
  }
  showError(region, errorLines(err));
}

const actions = {
  async deregister(service: string, instance: InstanceRecord) {
    if (!window.confirm(`Deregister ${instance.base_url} (${instance.instance_id}) from ${service}?`)) return;
    try {
      await api.deregister(service, instance.instance_id);
      showError(ui.servicesError, null);
      await refreshService(service);
    } catch (err) {
      report(err);
    }
  },
};

function drawService(name: string): void {
  const record = store.services.get(name);
  const existing = ui.services.querySelector<HTMLElement>(`[data-service="${CSS.escape(name)}"]`);
  if (record === undefined) {
    existing?.remove();
    drawn.delete(name);
  } else {
    const json = JSON.stringify(record);
    if (existing && drawn.get(name) === json) return;
    const card = serviceCard(record, store.stats.get(name), actions);
    drawn.set(name, json);
    if (existing) existing.replaceWith(card);
    else {
      // Keep cards in name order so they do not jump around as events arrive.
      const after = [...ui.services.children].find((c) => (c as HTMLElement).dataset['service']! > name);
      ui.services.insertBefore(card, after ?? null);
    }
  }
  drawSummary();
}

function drawSummary(): void {
  const services = [...store.services.values()];
  const instances = services.flatMap((s) => s.instances);
  const healthy = instances.filter((i) => i.status === 'HEALTHY').length;
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
  ui.summary.textContent = `${count(services.length, 'service')}, ${count(instances.length, 'instance')}, ${healthy} healthy`;
  ui.empty.hidden = services.length > 0;
}

function drawTimeline(): void {
  ui.timeline.replaceChildren(...store.timeline.map(timelineItem));
}

async function refreshAll(): Promise<void> {
  try {
    const services: ServiceRecord[] = await api.services();
    const names = new Set(services.map((s) => s.service_name));
    for (const name of store.services.keys()) if (!names.has(name)) store.services.delete(name);
    for (const service of services) store.services.set(service.service_name, service);
    for (const name of new Set([...names, ...drawn.keys()])) drawService(name);
    drawSummary(); // also when there is no service to draw
    showError(ui.servicesError, null);
  } catch (err) {
    report(err);
  }
}

/** Refetches one service; events arriving during a fetch are coalesced into one more fetch. */
const inFlight = new Map<string, boolean>();
async function refreshService(name: string): Promise<void> {
  if (inFlight.has(name)) {
    inFlight.set(name, true);
    return;
  }
  inFlight.set(name, false);
  try {
    do {
      inFlight.set(name, false);
      const record = await api.service(name);
      if (record === null) store.services.delete(name);
      else store.services.set(name, record);
      drawService(name);
    } while (inFlight.get(name));
  } catch (err) {
    report(err);
  } finally {
    inFlight.delete(name);
  }
}

async function refreshStats(): Promise<void> {
  try {
    const { services } = await api.stats();
    store.stats.clear();
    for (const row of services) store.stats.set(row.service_name, row);
    for (const card of ui.services.querySelectorAll<HTMLElement>('[data-service]')) {
      card.querySelector('[data-stats]')?.replaceWith(statsFacts(store.stats.get(card.dataset['service']!)));
    }
  } catch (err) {
    if (err instanceof ApiError && err.isAuth) report(err);
    // Otherwise keep the last numbers: the next poll tries again.
  }
}

function onEvent(event: GatewayEvent): void {
  if (store.addEvent(event)) drawTimeline();
  void refreshService(event.service_name);
}

let stream: AbortController | null = null;

async function loadTimeline(): Promise<void> {
  try {
    for (const event of await api.recentEvents()) store.addEvent(event);
    drawTimeline();
  } catch {
    // The history is a convenience: the live stream still fills the timeline.
  }
}

function restart(): void {
  ui.token.placeholder = sessionStorage.getItem(TOKEN_KEY) ? 'saved for this tab' : '';
  stream?.abort();
  stream = new AbortController();
  showError(ui.servicesError, null);
  void followEvents(api, stream.signal, {
    onOpen: () => void refreshAll(),
    onEvent,
    onState: setConnection,
    onAuthError: (err) => report(err),
  });
  void refreshAll();
  void refreshStats();
  void loadTimeline();
}

function registrationBody(form: HTMLFormElement): Record<string, unknown> {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const body: Record<string, unknown> = { service_name: text('service_name'), base_url: text('base_url') };
  if (text('health_check_url')) body['health_check_url'] = text('health_check_url');
  // Sent as typed so the API, not the page, judges it (a bad value comes back as a named field error).
  if (text('weight')) body['weight'] = Number(text('weight'));
  return body;
}

ui.registerForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  ui.registerResult.textContent = '';
  showError(ui.registerError, null);
  try {
    const { created, record } = await api.register(registrationBody(ui.registerForm));
    const url = String(new FormData(ui.registerForm).get('base_url'));
    ui.registerResult.textContent = `${created ? 'Registered' : 'Updated'} ${url} in ${record.service_name}`;
    ui.registerForm.reset();
    store.services.set(record.service_name, record);
    drawService(record.service_name);
  } catch (err) {
    report(err, ui.registerError);
  }
});

ui.tokenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, ui.token.value.trim());
  ui.token.value = '';
  restart();
});
ui.tokenClear.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  restart();
});

setInterval(() => tick(document, Date.now()), 1000);
setInterval(() => {
  if (!document.hidden) void refreshStats();
}, STATS_EVERY_MS);
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) void refreshStats();
});
restart();
