export { iso, keyOf, lapsed, leaseDeadline } from './records.js';
export { createRegistry, type RegistryDeps } from './registry.js';
export {
  INSTANCE_ID_PATTERN,
  METADATA_MAX_BYTES,
  type RegistrationInputBody,
  RegistrationInputSchema,
  SERVICE_NAME_PATTERN,
} from './schema.js';
export { createStore } from './store/create.js';
export { createMemoryStore } from './store/memory.js';
export {
  createRedisBus,
  createRedisClient,
  createRedisStore,
  describeRedisUrl,
  parseRedisUrl,
  type RedisBus,
  type RedisClient,
  type RedisStore,
  type RedisStoreOptions,
  type RedisTarget,
  registryKeys,
} from './store/redis/index.js';
export { createSqliteStore, SQLITE_SCHEMA_VERSION, type SqliteStore } from './store/sqlite.js';
export type { InstanceRef, RegistryStore, StoreChange } from './store/types.js';
export type {
  AddressCheck,
  Clock,
  InstanceRegistration,
  NormalizedRegistration,
  RegisterResult,
  RegistrationInput,
  Registry,
} from './types.js';
export { instanceKey, systemClock } from './types.js';
export {
  BODY_FIELD,
  deriveInstanceId,
  type ValidateOptions,
  type ValidationResult,
  validateRegistration,
} from './validate.js';
