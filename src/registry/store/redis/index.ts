export { createRedisBus, type RedisBus, type RedisBusOptions } from './bus.js';
export { createRedisClient, type RedisClient, type RedisClientOptions } from './client.js';
export { registryKeys } from './codec.js';
export { describeRedisUrl, parseRedisUrl, type RedisNode, type RedisTarget } from './options.js';
export { createRedisStore, type RedisStore, type RedisStoreOptions } from './store.js';
