export { type Collection, createCollection, type RecordFields, type StoredRecord } from './collection.js';
export {
  assertUnique,
  type CrudResource,
  type FieldContext,
  recordSchemaOf,
  registerCrudRoutes,
} from './crud-routes.js';
export { buildCrudService, type CrudServiceDefinition } from './crud-service.js';
export { defaultPublicUrl, readServiceEnv, SampleConfigError, type ServiceEnv } from './env.js';
export { callJson, failureReason, type JsonCall, type JsonResponse } from './http-json.js';
export { type FieldProblem, PROBLEM_CONTENT_TYPE, ProblemError, problemBody } from './problem.js';
export { type Registration, type RegistrationOptions, startRegistration } from './registration.js';
export { type RunningService, runServiceMain, type ServiceMain, startService } from './run-service.js';
export { createServiceApp, type ServiceInfo, type ServiceOptions } from './service-app.js';
