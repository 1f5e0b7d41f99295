import { clockTime, describeEvent, formatMs, formatRate, leaseText, relativeTime } from './format.js';
import type { GatewayEvent, InstanceRecord, InstanceStatus, ServiceRecord, ServiceStats } from './types.js';

/**
 * DOM builders. Every value from the API goes in as text (textContent), never as HTML:
 * service names, URLs and upstream error texts are not trusted markup.
 */

type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) if (child) node.append(child);
  return node;
}

const statusClass = (status: InstanceStatus): string => `status-${status.toLowerCase()}`;

/** The status as a coloured badge whose text says it too (colour is never the only signal). */
export function statusBadge(status: InstanceStatus): HTMLElement {
  return el('span', { class: `badge ${statusClass(status)}` }, status);
}

function fact(term: string, value: Child, attrs: Record<string, string> = {}): HTMLElement {
  return el('div', attrs, el('dt', {}, term), el('dd', {}, value));
}

/** Text that the once-a-second tick keeps current: a relative time or a lease countdown. */
function liveTime(kind: 'rel-time' | 'lease', iso: string | null): HTMLElement {
  const node = el('time', { [`data-${kind}`]: iso ?? '' });
  if (iso !== null) node.setAttribute('datetime', iso);
  node.textContent = kind === 'lease' ? leaseText(iso, Date.now()) : relativeTime(iso, Date.now());
  return node;
}

export interface CardActions {
  deregister(service: string, instance: InstanceRecord): void;
}

function instanceItem(service: string, instance: InstanceRecord, actions: CardActions): HTMLElement {
  const button = el(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': `Deregister instance ${instance.instance_id} of ${service}`,
    },
    'Deregister',
  );
  button.addEventListener('click', () => actions.deregister(service, instance));
  return el(
    'li',
    { class: `instance ${statusClass(instance.status)}`, 'data-instance-id': instance.instance_id },
    el(
      'div',
      { class: 'instance-head' },
      statusBadge(instance.status),
      el('code', { class: 'url' }, instance.base_url),
    ),
    el(
      'dl',
      { class: 'facts' },
      fact('Instance', el('code', {}, instance.instance_id)),
      fact('Weight', String(instance.weight)),
      fact('Last check', liveTime('rel-time', instance.last_check_at)),
      fact('Lease', liveTime('lease', instance.lease_expires_at)),
      fact('Last error', instance.last_error ?? 'none', { class: instance.last_error ? 'last-error' : '' }),
    ),
    button,
  );
}

/** The stats line of a service card; replaced on its own every poll. */
export function statsFacts(stats: ServiceStats | undefined): HTMLElement {
  return el(
    'dl',
    { class: 'stats', 'data-stats': '' },
    fact('Rate (1 min)', stats ? formatRate(stats.request_rate_per_s) : 'n/a'),
    fact('p95', stats ? formatMs(stats.p95_ms) : 'n/a'),
    fact('Requests', stats ? stats.requests_total.toLocaleString() : 'n/a'),
    fact('5xx', stats ? stats.errors_total.toLocaleString() : 'n/a'),
  );
}

export function serviceCard(
  record: ServiceRecord,
  stats: ServiceStats | undefined,
  actions: CardActions,
): HTMLElement {
  const headingId = `svc-${record.service_name}`;
  return el(
    'article',
    {
      class: `service ${statusClass(record.status)}`,
      'data-service': record.service_name,
      'aria-labelledby': headingId,
    },
    el(
      'header',
      { class: 'service-head' },
      el('h3', { id: headingId }, record.service_name),
      statusBadge(record.status),
    ),
    statsFacts(stats),
    el(
      'ul',
      { class: 'instances', 'aria-label': `Instances of ${record.service_name}` },
      ...record.instances.map((instance) => instanceItem(record.service_name, instance, actions)),
    ),
  );
}

export function timelineItem(event: GatewayEvent): HTMLElement {
  return el(
    'li',
    { class: `event event-${event.type}` },
    el('time', { datetime: event.timestamp }, clockTime(event.timestamp)),
    ' ',
    el('strong', {}, event.service_name),
    ' ',
    el('code', {}, event.instance_id),
    ' ',
    event.new_status ? statusBadge(event.new_status) : null,
    ' ',
    el('span', { class: 'what' }, describeEvent(event)),
  );
}

/** Refreshes every relative time and lease countdown under `root`. */
export function tick(root: ParentNode, now: number): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-rel-time]')) {
    node.textContent = relativeTime(node.dataset['relTime'] || null, now);
  }
  for (const node of root.querySelectorAll<HTMLElement>('[data-lease]')) {
    node.textContent = leaseText(node.dataset['lease'] || null, now);
  }
}

/** Shows an error (summary and field lines) in an alert region, or hides it with null. */
export function showError(region: HTMLElement, error: { summary: string; details: string[] } | null): void {
  region.replaceChildren();
  region.hidden = error === null;
  if (error === null) return;
  region.append(el('p', {}, error.summary));
  if (error.details.length > 0) region.append(el('ul', {}, ...error.details.map((d) => el('li', {}, d))));
}
