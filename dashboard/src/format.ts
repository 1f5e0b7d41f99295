import type { GatewayEvent, Problem } from './types.js';

/** Text formatting for the page. Pure, so it is unit-tested under Node. */

function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** "12 s ago", "3 min ago"; "never" for null; "just now" under a second. */
export function relativeTime(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const seconds = Math.floor((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return 'unknown';
  if (seconds < 1) return 'just now';
  return `${span(seconds)} ago`;
}

/** The lease countdown: "expires in 12 s", "expired", or "no lease". */
export function leaseText(iso: string | null, now: number): string {
  if (iso === null) return 'no lease';
  const seconds = Math.ceil((Date.parse(iso) - now) / 1000);
  if (Number.isNaN(seconds)) return 'unknown';
  return seconds > 0 ? `expires in ${span(seconds)}` : 'expired';
}

export function formatRate(perSecond: number): string {
  const digits = perSecond === 0 ? 0 : perSecond < 10 ? 2 : perSecond < 100 ? 1 : 0;
  return `${perSecond.toFixed(digits)} req/s`;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return 'n/a';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** Clock time of an event, in the viewer's zone: "14:03:27". */
export function clockTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleTimeString(undefined, { hour12: false });
}

/** One line for the timeline. */
export function describeEvent(event: GatewayEvent): string {
  switch (event.type) {
    case 'status_changed':
      return `${event.old_status ?? '?'} → ${event.new_status ?? '?'}${event.reason ? `: ${event.reason}` : ''}`;
    case 'registered':
      return event.created === false ? 'registration updated' : 'registered';
    case 'deregistered':
      return 'deregistered';
    case 'expired':
      return 'lease expired, removed';
    case 'peer_passive':
      // Information only: this gateway's own status of the instance did not change.
      return `gateway ${event.gateway_id ?? '?'} ${event.change === 'ejected' ? 'ejected it' : 'ended its ejection'}${event.reason ? `: ${event.reason}` : ''}`;
    default:
      return String((event as { type: unknown }).type);
  }
}

/** A stable identity of an event, so a replayed or duplicated one is shown once. */
export function eventKey(event: GatewayEvent): string {
  return [event.type, event.service_name, event.instance_id, event.timestamp, event.new_status ?? ''].join(
    '\u0000',
  );
}

/** A problem answer as readable lines: "Validation failed (400): The request is invalid", then each field. */
export function problemLines(
  status: number,
  problem: Problem | null,
): { summary: string; details: string[] } {
  const title = problem?.title ?? `HTTP ${status}`;
  const summary = problem?.detail ? `${title} (${status}): ${problem.detail}` : `${title} (${status})`;
  const details = (problem?.errors ?? []).map((e) => `${e.field}: ${e.message}`);
  return { summary, details };
}
