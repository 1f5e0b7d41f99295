import { runServiceMain } from '../shared/index.js';
import { buildUserService, USER_SERVICE } from './service.js';

runServiceMain({ info: USER_SERVICE, defaultPort: 8001, build: (options) => buildUserService(options) });
