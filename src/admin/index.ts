export { ADMIN_BODY_LIMIT, buildAdminApp, type RequestHandler } from './build-admin-app.js';
export { formatEvent } from './event-stream.js';
export { createFailureLimiter, type FailureLimiter } from './failure-limiter.js';
export type { InstanceRecord, ServiceRecord } from './records.js';
export type { AdminDeps } from './types.js';
