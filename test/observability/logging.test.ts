import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger, prettyLogs } from '../../src/observability/logging.js';

describe('log format (LOG_FORMAT)', () => {
  it.each([
    ['auto', 'development', true, true],
    ['auto', 'development', false, false],
    ['auto', 'production', true, false],
    ['json', 'development', true, false],
    ['pretty', 'production', false, true],
  ] as const)('%s in %s, tty %s: pretty %s', (logFormat, environment, tty, pretty) => {
    expect(prettyLogs({ logLevel: 'info', logFormat, environment }, tty)).toBe(pretty);
  });

  it('createLogger writes JSON lines when stdout is not a terminal', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger(
      { logLevel: 'info', environment: 'development', logFormat: 'auto' },
      sink,
      false,
    );
    logger.info({ service: 's' }, 'hello');
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'info', msg: 'hello', service: 's', app: 'msa-gateway' });
  });

  it('without a destination and not on a terminal, no pretty transport is set up', () => {
    const logger = createLogger(
      { logLevel: 'info', environment: 'development', logFormat: 'auto' },
      undefined,
      false,
    );
    // pino-pretty would replace the stream with a thread-stream worker.
    const stream = (logger as unknown as Record<symbol, object>)[pino.symbols.streamSym];
    expect(stream).toBeDefined();
    expect(stream).not.toHaveProperty('worker');
  });

  it('reads LOG_FORMAT and ACCESS_LOG', () => {
    const base = { REGISTRY_STORE: 'memory' };
    expect(loadConfig(base)).toMatchObject({ logFormat: 'auto', accessLog: true });
    expect(loadConfig({ ...base, LOG_FORMAT: 'JSON', ACCESS_LOG: 'false' })).toMatchObject({
      logFormat: 'json',
      accessLog: false,
    });
    expect(() => loadConfig({ ...base, LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
    expect(() => loadConfig({ ...base, ACCESS_LOG: 'maybe' })).toThrow(/ACCESS_LOG/);
  });
});
