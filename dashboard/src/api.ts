import { problemLines } from './format.js';
import { createSseParser, type SseMessage } from './sse.js';
import type { GatewayEvent, Problem, ServiceRecord, StatsResponse } from './types.js';

/** The discovery API as the page uses it: every call carries the admin token when one is set. */

export class ApiError extends Error {
  readonly summary: string;
  readonly details: string[];
  constructor(
    readonly status: number,
    problem: Problem | null,
  ) {
    const { summary, details } = problemLines(status, problem);
    super(summary);
    this.summary = summary;
    this.details = details;
  }
  /** 401 or 403: the token is missing or wrong. */
  get isAuth(): boolean {
    return this.status === 401 || this.status === 403;
  }
}

/** Turns anything a call threw into text for the page. */
export function errorLines(err: unknown): { summary: string; details: string[] } {
  if (err instanceof ApiError) return { summary: err.summary, details: err.details };
  if (err instanceof TypeError) return { summary: 'Cannot reach the gateway (network error)', details: [] };
  return { summary: String(err instanceof Error ? err.message : err), details: [] };
}

async function readProblem(response: Response): Promise<Problem | null> {
  try {
    const body: unknown = await response.json();
    return body !== null && typeof body === 'object' ? (body as Problem) : null;
  } catch {
    return null;
  }
}

export interface Api {
  services(): Promise<ServiceRecord[]>;
  /** null when the service is gone (404). */
  service(name: string): Promise<ServiceRecord | null>;
  stats(): Promise<StatsResponse>;
  /** The gateway's recent events, newest first (so the timeline is not empty on load). */
  recentEvents(): Promise<GatewayEvent[]>;
  register(body: Record<string, unknown>): Promise<{ created: boolean; record: ServiceRecord }>;
  deregister(service: string, instanceId: string): Promise<void>;
  /**
   * Reads the SSE stream until it ends or `signal` aborts. `onOpen` runs once the gateway
   * accepted the stream (so a snapshot fetched then misses no event).
   */
  streamEvents(signal: AbortSignal, onOpen: () => void, onMessage: (m: SseMessage) => void): Promise<void>;
}

const BASE = '/api/discovery';

export function createApi(token: () => string): Api {
  async function call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const value = token();
    if (value) headers['authorization'] = `Bearer ${value}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = { method, headers, cache: 'no-store' };
    if (body !== undefined) init.body = JSON.stringify(body);
    if (signal) init.signal = signal;
    const response = await fetch(BASE + path, init);
    if (!response.ok && response.status !== 404)
      throw new ApiError(response.status, await readProblem(response));
    return response;
  }

  async function json<T>(response: Response): Promise<T> {
    if (response.status === 404) throw new ApiError(404, await readProblem(response));
    return (await response.json()) as T;
  }

  return {
    async services() {
      return (await json<{ services: ServiceRecord[] }>(await call('GET', '/services'))).services;
    },
    async service(name) {
      const response = await call('GET', `/services/${encodeURIComponent(name)}`);
      return response.status === 404 ? null : json<ServiceRecord>(response);
    },
    async stats() {
      return json<StatsResponse>(await call('GET', '/stats'));
    },
    async recentEvents() {
      return (await json<{ events: GatewayEvent[] }>(await call('GET', '/timeline'))).events;
    },
    async register(body) {
      const response = await call('POST', '/services', body);
      return { created: response.status === 201, record: await json<ServiceRecord>(response) };
    },
    async deregister(service, instanceId) {
      const path = `/services/${encodeURIComponent(service)}/instances/${encodeURIComponent(instanceId)}`;
      await json<unknown>(await call('DELETE', path));
    },
    async streamEvents(signal, onOpen, onMessage) {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      const value = token();
      if (value) headers['authorization'] = `Bearer ${value}`;
      const response = await fetch(`${BASE}/events`, { headers, signal, cache: 'no-store' });
      if (!response.ok || response.body === null)
        throw new ApiError(response.status, await readProblem(response));
      onOpen();
      const parser = createSseParser(onMessage);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) return;
        parser.push(chunk);
      }
    },
  };
}
