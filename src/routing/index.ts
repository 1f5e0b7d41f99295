export { type CompiledHeaderRules, compileHeaderRules } from './header-rules.js';
export { isUnsafePath, joinPath, pathOf } from './path.js';
export { PROXY_PREFIX, type ProxyTarget, parseProxyTarget } from './proxy-path.js';
export {
  type CompiledRoute,
  compileRoutes,
  DEVELOPMENT_ROUTES,
  findRoute,
  type RouteTable,
  rewriteTarget,
  underPrefix,
} from './routes.js';
