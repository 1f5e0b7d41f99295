import { describe, expect, it } from 'vitest';
import { cleanEnv, watch } from './process-helpers.js';

describe('npm run check-install', () => {
  it('passes every check on this installation, one ✓ line each', async () => {
    const run = watch(process.execPath, ['scripts/check-install.mjs'], cleanEnv({}));
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const verdicts = run.output().match(/^[✓✗] .*$/gm) ?? [];
    expect(verdicts.map((line) => line.split(':')[0])).toEqual([
      '✓ Node.js version',
      '✓ dependencies',
      '✓ SQLite',
      '✓ build',
      '✓ gateway start',
    ]);
    expect(run.output()).toContain('All 5 checks passed.');
  }, 150_000);
});
