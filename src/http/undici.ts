/**
 * undici's Pool and Agent, loaded from their own files. `import { Pool } from 'undici'` runs
 * undici's index, which also loads fetch, WebSocket, EventSource, the cache and their helpers:
 * 3 MB of heap and about 8 MB of RSS that the gateway never uses (it only dispatches through
 * pools and agents). undici has no `exports` map, so these paths are reachable as published;
 * test/app/lazy-modules.test.ts checks they are the classes the index exports, and that a
 * gateway serving requests does not load the index. (The service-docs fetch, on demand only,
 * imports the index for its `request`.)
 */
import { createRequire } from 'node:module';
import type { Agent as AgentClass, Pool as PoolClass } from 'undici';

const require = createRequire(import.meta.url);

export const Pool: typeof PoolClass = require('undici/lib/dispatcher/pool.js');
export type Pool = PoolClass;
export const Agent: typeof AgentClass = require('undici/lib/dispatcher/agent.js');
export type Agent = AgentClass;
