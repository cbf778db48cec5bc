// A safekeep host for the targeted-kill experiments: the CLI's setup, except that the ids of copies
// (`chaos-1`…) and of store writes (`w-chaos-1`…) are predictable, so strace can be told the exact
// temp files to kill at (-P PATH).
// usage: safekeep-child DATA_DIR SOURCE INTERVAL_MS
import { startHost } from '../../../src/host/start-host.ts';
import { randomIds } from '../../../src/ids/ids.ts';

const [dataDir, source, interval] = process.argv.slice(2);
if (!dataDir || !source || !interval) throw new Error('usage: safekeep-child DATA_DIR SOURCE INTERVAL_MS');

const counters = new Map<string, number>();
const predictable = (prefix: string) => {
  const n = (counters.get(prefix) ?? 0) + 1;
  counters.set(prefix, n);
  return prefix === 'copy' ? `chaos-${n}` : `${prefix}-chaos-${n}`;
};
const host = await startHost({
  dataDir,
  jobs: [{ sourcePath: source, intervalMs: Number(interval) }],
  socket: { host: '127.0.0.1', port: 0 },
  console: { out: process.stderr },
  ids: { next: (prefix) => (prefix === 'copy' || prefix === 'w' ? predictable(prefix) : randomIds.next(prefix)) },
  verifyIntervalMs: 0,
});
process.stdout.write(`safekeep listening on 127.0.0.1:${host.address?.port}\n`);
const stop = () => void host.stop('signal').then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
