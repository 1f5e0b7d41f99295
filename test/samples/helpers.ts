import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { call, type JsonResponse } from '../helpers/http.js';

/** Listens on 127.0.0.1 with an ephemeral port; returns the base URL. */
export async function listenLocal(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

// biome-ignore lint/suspicious/noExplicitAny: the sample tests assert bodies by value; typing each would restate the schemas.
type Json = any;

/** `call` with an untyped JSON body, plus the content type the tests check for problems. */
export async function http(
  method: string,
  url: string,
  body?: unknown,
): Promise<JsonResponse<Json> & { type: string }> {
  const res = await call<Json>(method, url, body);
  return { ...res, type: res.headers.get('content-type') ?? '' };
}

/** Runs the app that `build` makes on 127.0.0.1 for the tests of this file; `base` is its URL once started. */
export function useService(build: () => Promise<FastifyInstance>): { readonly base: string } {
  const state = { base: '', app: undefined as FastifyInstance | undefined };
  beforeAll(async () => {
    state.app = await build();
    state.base = await listenLocal(state.app);
  });
  afterAll(() => state.app?.close());
  return state;
}
