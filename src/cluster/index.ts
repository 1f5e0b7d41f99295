export {
  createPrimaryHealthSharing,
  createWorkerHealthSharing,
  type PrimaryHealthSharing,
} from './ipc-health.js';
export { createIpcStore } from './ipc-store.js';
export { runPrimary } from './primary.js';
export { createPrimaryStore } from './primary-store.js';
export { type Channel, channelOf, type IpcMessage, isIpcMessage, type RpcMethod } from './protocol.js';
export { type RegistryHost, type RegistryHostDeps, startRegistryHost } from './registry-host.js';
export { createRpcClient, type RpcClient, serveRpc } from './rpc.js';
export { createSupervisor, type Supervisor, type SupervisorOptions } from './supervisor.js';
export { onPrimaryShutdown, workerDeps } from './worker.js';
