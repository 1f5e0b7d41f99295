import { describe, expect, it } from 'vitest';
import { isUnsafePath, joinPath, pathOf } from '../../src/routing/index.js';

describe('isUnsafePath: traversal never escapes the base path', () => {
  const refused = [
    '/..',
    '/../etc/passwd',
    '/a/../../b',
    '/a/..',
    '/a/../b', // harmless, but every dot-segment is refused (simplest safe rule)
    '/./a',
    '/a/.',
    '/%2e%2e/secret',
    '/%2E%2E/secret',
    '/%2e%2E/secret',
    '/.%2e/secret',
    '/%2e./secret',
    '/%2e/secret',
    '/..;/secret',
    '/a/..;jsessionid=1/b',
    '/a%2f..%2fb',
    '/a%2F..%2Fb',
    '/a%2fb',
    '/a\\..\\b',
    '/a\\b',
    '/a%5c..%5cb',
    '/a%5Cb',
    '/a%00b',
    '/%252e%252e/secret',
    '/a%252fb',
    '/a%255cb',
    '..',
    '/..%2f',
  ];
  const allowed = [
    '',
    '/',
    '/users',
    '/users/1',
    '/file.json',
    '/a.b/c.d',
    '/...', // not a dot-segment
    '/a..b',
    '/..a',
    '/a/.hidden',
    '/%20space',
    '/caf%C3%A9',
    '/a%2Cb',
    '/a/b/',
    '/a//b',
    '/%25',
    '/a;b=c',
  ];
  it.each(refused)('refuses %s', (path) => expect(isUnsafePath(path)).toBe(true));
  it.each(allowed)('allows %s', (path) => expect(isUnsafePath(path)).toBe(false));
});

describe('joinPath: base path prefix + forwarded rest, always absolute', () => {
  it.each([
    ['', '', '/'],
    ['', '/', '/'],
    ['', '?q=1', '/?q=1'],
    ['', '/a/b?x=%20&x=2', '/a/b?x=%20&x=2'],
    ['/api', '', '/api'],
    ['/api', '/', '/api/'],
    ['/api', '?q', '/api?q'],
    ['/api/v1', '/users/1', '/api/v1/users/1'],
  ])('(%j, %j) → %j', (base, rest, expected) => expect(joinPath(base, rest)).toBe(expected));
});

describe('pathOf', () => {
  it.each([
    ['/a/b', '/a/b'],
    ['/a/b?x=1', '/a/b'],
    ['?x', ''],
    ['/a?b?c', '/a'],
  ])('%j → %j', (url, expected) => expect(pathOf(url)).toBe(expected));
});
