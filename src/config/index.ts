export { ConfigError, loadConfig, readConfigFile, SETTING_NAMES, testConfig } from './load.js';
export type {
  BalancingConfig,
  Environment,
  GatewayConfig,
  HeaderRules,
  LogLevel,
  StaticRoute,
  StaticService,
  StoreKind,
} from './schema.js';
export { BalancingSchema, StaticRouteSchema, StaticServiceSchema } from './schema.js';
