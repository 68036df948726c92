import { parseArgs } from 'node:util';
import { start } from './index.js';

/**
 * `npm run localcloud -- --port 4566 [--realistic] [--seed N] [--instance-http-port 8080]`: runs
 * localcloud in the foreground.
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4566' },
    realistic: { type: 'boolean', default: false },
    seed: { type: 'string' },
    'instance-http-port': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`localcloud: --port must be 0–65535, got "${values.port}"`);
  process.exit(2);
}

const lc = await start({
  port,
  ...(values.realistic ? { durations: 'realistic' as const } : {}),
  ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
  ...(values['instance-http-port'] !== undefined
    ? { instanceHttpPort: Number(values['instance-http-port']) }
    : {}),
});
console.log(`localcloud listening on ${lc.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void lc.stop().then(() => process.exit(0));
  });
}
