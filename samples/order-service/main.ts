import { runServiceMain } from '../shared/index.js';
import { buildOrderService, ORDER_SERVICE } from './service.js';

// Look-ups go through GATEWAY_URL, or http://localhost:8000 when it is unset (then without registering).
runServiceMain({
  info: ORDER_SERVICE,
  defaultPort: 8003,
  build: (options, env) =>
    buildOrderService({ ...options, ...(env.gatewayUrl ? { gatewayUrl: env.gatewayUrl } : {}) }),
});
