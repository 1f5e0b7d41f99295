// Peer: fast-gateway (restana + fast-proxy-lite on node:http keep-alive agents), proxying
// /proxy/bench/* to the benchmark's instance (query forwarded as received, not re-serialized). Prints {"port":N} once listening.
import gateway from 'fast-gateway';
import { argValue, exitWithParent } from '../lib/child.mjs';

const upstream = argValue('upstream');
const server = gateway({ routes: [{ prefix: '/proxy/bench', target: upstream, disableQsOverwrite: true }] });
const http = await server.start(0, '127.0.0.1');
process.stdout.write(`${JSON.stringify({ port: http.address().port })}\n`);
exitWithParent(() => http.close());
