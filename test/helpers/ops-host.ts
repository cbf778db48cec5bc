import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HostOptions } from '../../src/host/host-options.ts';
import { collect, startTestHost, writeSource } from './host-harness.ts';
import { JsonClient } from './json-client.ts';
import { tempDir } from './temp-dir.ts';
import { TestClient } from './test-client.ts';

export const MINUTE = 60_000;

/**
 * A host on a virtual clock serving a real socket, with one job
 * (`notes.json`, backed up once already) and `root/allowed` open to requests
 * (`allowedPaths`). `text(line)` and `json(message)` ask over one connection
 * each, the way a client of that dialect would.
 */
export async function startOpsHost(options: Partial<HostOptions> = {}) {
  const root = await tempDir('ops');
  const allowed = path.join(root, 'allowed');
  await mkdir(allowed);
  const source = await writeSource(root, 'notes.json', '{"v":1}');
  const { host, clock } = await startTestHost(path.join(root, 'data'), {
    jobs: [{ sourcePath: source, intervalMs: MINUTE }],
    socket: { host: '127.0.0.1', port: 0 },
    allowedPaths: [allowed],
    ...options,
  });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  const first = (await completed.next()).version;
  const port = host.address!.port;
  const textClient = await TestClient.connect(port);
  const jsonClient = await JsonClient.connect(port);
  return {
    root,
    allowed,
    source,
    host,
    clock,
    port,
    first,
    /** Sends one line and reads the whole reply: a first line ending in `:` is followed by as many lines as its first number says. */
    async text(line: string): Promise<string[]> {
      return textRequest(textClient, line);
    },
    json: jsonClient,
    async stop() {
      textClient.destroy();
      jsonClient.close();
      await host.stop();
    },
  };
}

/** One text-dialect request on a line and its reply, read by the multi-line rule (README "The socket: text dialect"). */
export async function textRequest(client: TestClient, line: string): Promise<string[]> {
  client.send(`${line}\n`);
  const [first = ''] = await client.lines(1);
  const count = first.endsWith(':') ? first.split(' ').find((word) => /^\d+$/.test(word)) : undefined;
  return count === undefined ? [first] : [first, ...(await client.lines(Number(count)))];
}
