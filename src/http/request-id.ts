import { randomUUID } from 'node:crypto';

const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Keeps a client's request id when it is sane (1-128 of [A-Za-z0-9._-]), else makes a UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  if (typeof header === 'string' && SANE_REQUEST_ID.test(header)) return header;
  return randomUUID();
}
