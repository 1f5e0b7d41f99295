// `npm run start:prod`: the built gateway with ENVIRONMENT=production, the same on every shell
// (an `ENVIRONMENT=production node ...` script line would not run under Windows' cmd).
// It refuses to start without GATEWAY_ADMIN_TOKEN, as production must.
process.env.ENVIRONMENT = 'production';
await import('../dist/src/main.js');
