import { describe, expect, it } from 'vitest';
import { buildUserService } from '../../samples/user-service/service.js';
import { http, useService } from './helpers.js';

const service = useService(() => buildUserService());

const PROBLEM = 'application/problem+json';

describe('user-service', () => {
  it('lists the demo users with pagination metadata', async () => {
    const all = await http('GET', `${service.base}/api/users`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: 3, limit: 20, offset: 0 });
    expect(all.body.items.map((u: { name: string }) => u.name)).toEqual([
      'Alice Kim',
      'Bob Lee',
      'Carol Park',
    ]);

    const page = await http('GET', `${service.base}/api/users?limit=1&offset=1`);
    expect(page.body).toMatchObject({
      total: 3,
      limit: 1,
      offset: 1,
      items: [{ id: 2, email: 'bob@example.com' }],
    });
  });

  it('refuses a bad page size with a 400 problem naming the parameter', async () => {
    const res = await http('GET', `${service.base}/api/users?limit=0`);
    expect(res.status).toBe(400);
    expect(res.type).toContain(PROBLEM);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'querystring.limit' })]);
  });

  it('gets one user, 404 for an unknown id and 400 for a malformed one', async () => {
    expect((await http('GET', `${service.base}/api/users/1`)).body).toMatchObject({
      id: 1,
      name: 'Alice Kim',
    });
    const missing = await http('GET', `${service.base}/api/users/999`);
    expect(missing.status).toBe(404);
    expect(missing.type).toContain(PROBLEM);
    expect(missing.body).toMatchObject({ status: 404, title: 'Not Found', detail: 'user 999 not found' });
    expect((await http('GET', `${service.base}/api/users/abc`)).status).toBe(400);
  });

  it('creates a user: 201 with Location and timestamps', async () => {
    const res = await http('POST', `${service.base}/api/users`, {
      name: 'John Doe',
      email: 'john@example.com',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`/api/users/${res.body.id}`);
    expect(res.body).toMatchObject({ name: 'John Doe', email: 'john@example.com' });
    expect(Date.parse(res.body.created_at)).not.toBeNaN();
    expect((await http('GET', `${service.base}/api/users/${res.body.id}`)).body).toEqual(res.body);
  });

  it('answers 409 for an e-mail address already in use, whatever its case', async () => {
    const res = await http('POST', `${service.base}/api/users`, {
      name: 'Alice Two',
      email: 'ALICE@example.com',
    });
    expect(res.status).toBe(409);
    expect(res.type).toContain(PROBLEM);
    expect(res.body).toMatchObject({
      status: 409,
      errors: [{ field: 'body.email', message: 'is already in use' }],
    });
    expect(res.body.detail).toContain('user 1');
  });

  it('answers 400 naming every bad field: missing, malformed and unknown', async () => {
    const res = await http('POST', `${service.base}/api/users`, { email: 'not-an-email', role: 'admin' });
    expect(res.status).toBe(400);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(['body.email', 'body.name', 'body.role']);
    expect((await http('POST', `${service.base}/api/users`, '{"name": ')).status).toBe(400);
  });

  it('replaces with PUT, keeping its own e-mail but refusing another user’s', async () => {
    const put = await http('PUT', `${service.base}/api/users/2`, {
      name: 'Robert Lee',
      email: 'bob@example.com',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 2, name: 'Robert Lee' });
    expect(put.body.updated_at >= put.body.created_at).toBe(true);
    expect(
      (await http('PUT', `${service.base}/api/users/2`, { name: 'X', email: 'carol@example.com' })).status,
    ).toBe(409);
    expect(
      (await http('PUT', `${service.base}/api/users/999`, { name: 'X', email: 'x@example.com' })).status,
    ).toBe(404);
  });

  it('patches some fields and refuses an empty patch', async () => {
    const res = await http('PATCH', `${service.base}/api/users/3`, { name: 'Carol P.' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 3, name: 'Carol P.', email: 'carol@example.com' });
    expect((await http('PATCH', `${service.base}/api/users/3`, {})).status).toBe(400);
    expect((await http('PATCH', `${service.base}/api/users/999`, { name: 'X' })).status).toBe(404);
  });

  it('deletes with 204, then the user is gone', async () => {
    const created = await http('POST', `${service.base}/api/users`, {
      name: 'Temp',
      email: 'temp@example.com',
    });
    const del = await http('DELETE', `${service.base}/api/users/${created.body.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    expect((await http('GET', `${service.base}/api/users/${created.body.id}`)).status).toBe(404);
    expect((await http('DELETE', `${service.base}/api/users/${created.body.id}`)).status).toBe(404);
  });

  it('answers unknown routes with a problem, and serves /health, /openapi.json and /docs', async () => {
    const unknown = await http('GET', `${service.base}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.type).toContain(PROBLEM);

    expect((await http('GET', `${service.base}/health`)).body).toMatchObject({
      status: 'healthy',
      service: 'user-service',
    });
    const spec = await http('GET', `${service.base}/openapi.json`);
    expect(spec.body.openapi).toMatch(/^3\./);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(['/api/users', '/api/users/{id}', '/health']),
    );
    const docs = await fetch(`${service.base}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });
});
