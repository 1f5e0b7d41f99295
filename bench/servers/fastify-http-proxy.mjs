// Peer: @fastify/http-proxy (on @fastify/reply-from and undici) with Fastify 5, proxying
// /proxy/bench/* to the benchmark's instance. Prints {"port":N} once listening.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { argValue, exitWithParent } from '../lib/child.mjs';

const upstream = argValue('upstream');
const app = Fastify({ logger: false, bodyLimit: 2 * 1024 * 1024 * 1024 });
await app.register(proxy, { upstream, prefix: '/proxy/bench', rewritePrefix: '', http2: false });
await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: app.server.address().port })}\n`);
exitWithParent(() => app.server.close());
