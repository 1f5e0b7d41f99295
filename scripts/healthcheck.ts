import { request } from 'node:http';

/**
 * The containers' HEALTHCHECK (`node dist/scripts/healthcheck.js [path]`): GET
 * http://127.0.0.1:$PORT/health and exit 0 on a 2xx, 1 otherwise. Slim images have no curl.
 * The Host header is one that ALLOWED_HOSTS accepts, or a gateway limited to its public
 * domain would answer its own health check with 400.
 */

/** A host name matching the first ALLOWED_HOSTS pattern (`*.example.com` → `healthcheck.example.com`). */
export function healthcheckHost(allowedHosts: string | undefined): string {
  const first = allowedHosts
    ?.split(',')
    .map((p) => p.trim())
    .find((p) => p !== '');
  if (!first || first === '*') return 'localhost';
  return first.startsWith('*.') ? `healthcheck.${first.slice(2)}` : first;
}

function check(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

const status = await check(
  Number(process.env.PORT ?? 8000),
  process.argv[2] ?? '/health',
  healthcheckHost(process.env.ALLOWED_HOSTS),
);
process.exit(status >= 200 && status < 300 ? 0 : 1);
