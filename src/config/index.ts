export { ConfigError, loadConfig, readConfigFile, SETTING_NAMES, testConfig } from './load.js';
export type {
  BalancingConfig,
  Environment,
  GatewayConfig,
  HeaderRules,
  LogFormat,
  LogLevel,
  OtelConfig,
  OtelSampler,
  RateLimitConfig,
  RouteAuthConfig,
  StaticRoute,
  StaticService,
  StoreKind,
  TrustProxy,
} from './schema.js';
export {
  BalancingSchema,
  RateLimitSchema,
  RouteAuthSchema,
  StaticRouteSchema,
  StaticServiceSchema,
} from './schema.js';
