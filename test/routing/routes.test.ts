import { describe, expect, it } from 'vitest';
import type { StaticRoute } from '../../src/config/index.js';
import {
  compileRoutes,
  findRoute,
  parseProxyTarget,
  rewriteTarget,
  underPrefix,
} from '../../src/routing/index.js';

const ROUTES: StaticRoute[] = [
  { name: 'users', prefix: '/api/users', service: 'users' },
  { name: 'users-admin', prefix: '/api/users/admin', service: 'admins' },
  { name: 'shop', prefix: '/shop/', service: 'shop', strip_prefix: true, add_prefix: '/v1' },
  { name: 'shop-host', prefix: '/shop', service: 'shop-eu', host: '*.eu.example.com' },
  { name: 'ro', prefix: '/ro', service: 'ro', methods: ['GET', 'HEAD'] },
  { name: 'api', prefix: '/api', service: 'api' },
];

describe('underPrefix: a path-segment boundary', () => {
  it.each([
    ['/api/users', '/api/users', true],
    ['/api/users/1', '/api/users', true],
    ['/api/users?x=1', '/api/users', true],
    ['/api/usersX', '/api/users', false],
    ['/api/user', '/api/users', false],
    ['/anything', '/', true],
  ])('%s under %s: %s', (path, prefix, expected) => expect(underPrefix(path, prefix)).toBe(expected));
});

describe('findRoute', () => {
  const table = compileRoutes(ROUTES, 'production');
  it.each([
    ['/api/users', 'GET', 'h', 'users'],
    ['/api/users/1', 'GET', 'h', 'users'],
    ['/api/users?x', 'GET', 'h', 'users'],
    ['/api/usersX', 'GET', 'h', 'api'],
    ['/api/users/admin/2', 'GET', 'h', 'users-admin'],
    ['/api/other', 'GET', 'h', 'api'],
    ['/shop/cart', 'GET', 'x.eu.example.com', 'shop-host'],
    ['/shop/cart', 'GET', 'a.example.com', 'shop'],
    ['/ro/x', 'GET', 'h', 'ro'],
    ['/nothing', 'GET', 'h', null],
    ['/', 'GET', 'h', null],
  ])('%s %s (host %s) → %s', (url, method, host, name) => {
    expect(findRoute(table, url, host, method)?.name ?? null).toBe(name);
  });

  it('among equal prefixes prefers a host-bound route, then configuration order', () => {
    const t = compileRoutes(
      [
        { name: 'any-host', prefix: '/s', service: 'a' },
        { name: 'eu', prefix: '/s', service: 'b', host: '*.eu.example.com' },
        { name: 'any-host-2', prefix: '/s', service: 'c' },
      ],
      'production',
    );
    expect(findRoute(t, '/s/1', 'x.eu.example.com', 'GET')?.name).toBe('eu');
    expect(findRoute(t, '/s/1', 'X.EU.example.com:8000', 'GET')?.name).toBe('eu');
    expect(findRoute(t, '/s/1', 'eu.example.com', 'GET')?.name).toBe('any-host');
    expect(findRoute(t, '/s/1', undefined, 'GET')?.name).toBe('any-host');
  });

  it('returns the route whose methods exclude the method, so the caller answers 405', () => {
    const route = findRoute(table, '/ro/x', 'h', 'POST');
    expect(route?.name).toBe('ro');
    expect(route?.methods?.has('POST')).toBe(false);
  });

  it('never matches gateway endpoints, even under a catch-all or ancestor prefix', () => {
    const t = compileRoutes(
      [
        { name: 'root', prefix: '/', service: 'root' },
        { name: 'api', prefix: '/api', service: 'api' },
      ],
      'production',
    );
    for (const path of [
      '/api/discovery/services',
      '/health',
      '/ready',
      '/metrics',
      '/docs/x',
      '/openapi.json',
      '/dashboard',
      '/',
    ]) {
      expect(findRoute(t, path, 'h', 'GET'), path).toBeNull();
    }
    expect(findRoute(t, '/api/x', 'h', 'GET')?.name).toBe('api');
    expect(findRoute(t, '/healthz', 'h', 'GET')?.name).toBe('root');
  });

  it('refuses prefixes at or below a gateway endpoint when compiling', () => {
    const errors: string[] = [];
    const t = compileRoutes(
      [
        { prefix: '/api/discovery', service: 'x' },
        { prefix: '/health/deep', service: 'x' },
        { prefix: '/proxy/x', service: 'x' },
        { prefix: '/ok', service: 'x' },
      ],
      'production',
      (m) => errors.push(m),
    );
    expect(errors).toHaveLength(3);
    expect(t.size).toBe(1);
  });

  it('adds the development defaults after configured routes, only in development', () => {
    const dev = compileRoutes([{ name: 'mine', prefix: '/api/users', service: 'mine' }], 'development');
    expect(findRoute(dev, '/api/users/1', 'h', 'GET')?.service).toBe('mine');
    expect(findRoute(dev, '/api/products', 'h', 'GET')?.service).toBe('product-service');
    expect(findRoute(dev, '/api/orders?x=1', 'h', 'GET')?.service).toBe('order-service');
    expect(findRoute(dev, '/api/discovery/services', 'h', 'GET')).toBeNull();
    const prod = compileRoutes([], 'production');
    expect(findRoute(prod, '/api/users', 'h', 'GET')).toBeNull();
  });
});

describe('rewriteTarget', () => {
  const table = compileRoutes(
    [
      { name: 'strip', prefix: '/s', service: 'x', strip_prefix: true },
      { name: 'strip-add', prefix: '/sa', service: 'x', strip_prefix: true, add_prefix: '/v1/' },
      { name: 'add', prefix: '/a', service: 'x', add_prefix: '/v2' },
      { name: 'keep', prefix: '/k', service: 'x' },
    ],
    'production',
  );
  it.each([
    ['/s/users/1?x=%20', '/users/1?x=%20'],
    ['/s', '/'],
    ['/s?q', '/?q'],
    ['/sa/users', '/v1/users'],
    ['/sa', '/v1'],
    ['/sa?q', '/v1?q'],
    ['/a/users', '/v2/a/users'],
    ['/k/users?b=2&b=1', '/k/users?b=2&b=1'],
  ])('%s → %s', (url, expected) => {
    const route = findRoute(table, url, 'h', 'GET')!;
    expect(rewriteTarget(route, url)).toBe(expected);
  });
});

describe('parseProxyTarget', () => {
  it.each([
    ['/proxy/svc', { service: 'svc', rest: '' }],
    ['/proxy/svc/', { service: 'svc', rest: '/' }],
    ['/proxy/svc/a/b?x=1', { service: 'svc', rest: '/a/b?x=1' }],
    ['/proxy/svc?x=1', { service: 'svc', rest: '?x=1' }],
    ['/proxy/', null],
    ['/proxy//x', null],
  ])('%s', (url, expected) => expect(parseProxyTarget(url)).toEqual(expected));
});
