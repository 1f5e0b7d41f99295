export { createRedisBus, type RedisBus, type RedisBusOptions } from './bus.js';
export { registryKeys } from './codec.js';
export { describeRedisUrl, redisOptionsFromUrl } from './options.js';
export { createRedisStore, type RedisStore, type RedisStoreOptions } from './store.js';
