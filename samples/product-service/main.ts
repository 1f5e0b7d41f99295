import { runServiceMain } from '../shared/index.js';
import { buildProductService, PRODUCT_SERVICE } from './service.js';

runServiceMain({
  info: PRODUCT_SERVICE,
  defaultPort: 8002,
  build: (options) => buildProductService(options),
});
