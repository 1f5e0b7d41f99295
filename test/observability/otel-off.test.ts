/**
 * Without an OTLP endpoint nothing of OpenTelemetry's SDK is loaded: the gateway's OTel module and
 * the SDK packages are wrapped in mocks that note their first import (vitest evaluates a mock's
 * factory only when the module is imported), then a gateway proxies a request. A gateway with an
 * endpoint, afterwards, shows the probe does see an import.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeAll, echo, send, startGateway, startInstance } from '../proxy/harness.js';

// vi.mock factories run at a module's first import; each notes the import, then gives the real module.
const { loaded, noting } = vi.hoisted(() => {
  const loaded = new Set<string>();
  const noting = (name: string) => async (importOriginal: () => Promise<unknown>) => {
    loaded.add(name);
    return importOriginal();
  };
  return { loaded, noting };
});

vi.mock('../../src/observability/otel.js', noting('src/observability/otel.ts'));
vi.mock('@opentelemetry/sdk-trace-base', noting('@opentelemetry/sdk-trace-base'));
vi.mock('@opentelemetry/exporter-trace-otlp-proto', noting('@opentelemetry/exporter-trace-otlp-proto'));
vi.mock('@opentelemetry/exporter-trace-otlp-http', noting('@opentelemetry/exporter-trace-otlp-http'));

afterEach(closeAll);

describe('OpenTelemetry off', () => {
  it('loads no OpenTelemetry module when no OTLP endpoint is set', async () => {
    const instance = await startInstance(echo('a'));
    const gw = await startGateway();
    expect(gw.gateway.config.otel).toBeNull();
    await gw.register({ service_name: 'svc', base_url: instance.url });
    const reply = await send('GET', `${gw.url}/proxy/svc/a`);
    expect(reply.status).toBe(200);
    // The traceparent is still sent (W3C propagation needs no SDK), unsampled for a new trace.
    expect((reply.json().headers as Record<string, string>).traceparent).toMatch(/-00$/);
    expect([...loaded]).toEqual([]);
  });

  it('(the probe works: with an endpoint, the SDK and one exporter are loaded)', async () => {
    await startGateway({
      otel: {
        tracesUrl: 'http://127.0.0.1:9/v1/traces',
        protocol: 'http/protobuf',
        serviceName: 'msa-gateway',
        sampler: 'parentbased_always_on',
        samplerRatio: 1,
      },
    });
    expect([...loaded].sort()).toEqual([
      '@opentelemetry/exporter-trace-otlp-proto',
      '@opentelemetry/sdk-trace-base',
      'src/observability/otel.ts',
    ]);
  });
});
