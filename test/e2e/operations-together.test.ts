import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { BUILT_ARGV, run, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { readMetrics, valueOf } from '../helpers/prometheus-text.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** What a notification receiver got: method, path and body of each request. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

/** A webhook and heartbeat receiver on loopback: it answers 200 to everything and keeps what came. */
class Receiver {
  readonly received: Received[] = [];
  readonly #server: Server;
  readonly #waiters: (() => void)[] = [];

  constructor() {
    this.#server = createServer((request: IncomingMessage, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      request.on('end', () => {
        this.received.push({ method: request.method ?? '', url: request.url ?? '', body });
        response.end('ok');
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return (this.#server.address() as AddressInfo).port;
  }

  async waitFor(match: (item: Received) => boolean): Promise<Received> {
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

let folder: string;
let service: SafekeepProcess;
let client: JsonClient;
let receiver: Receiver;
let port: number;
let httpBase: string;

function safekeep(...args: string[]) {
  return run(process.execPath, [...BUILT_ARGV, ...args], { cwd: folder });
}

before(async () => {
  folder = await tempDir('operations-together');
  await writeFile(path.join(folder, 'notes.txt'), 'notes, version one\n');
  receiver = new Receiver();
  const receiverPort = await receiver.listen();
  port = await freePort();
  // Settings from all three places: the file (port, job, log), the environment (webhook, heartbeat: URLs may hold tokens) and a flag (--http).
  await writeFile(
    path.join(folder, 'safekeep.json'),
    `{
  // what an operator would write
  "port": ${port},
  "dataDir": "data",
  "logFile": "logs/safekeep.log",
  "logLevel": "debug",
  "jobs": [{ "source": "notes.txt", "interval": "1h" }]
}
`,
  );
  const env = {
    ...process.env,
    SAFEKEEP_WEBHOOK: `http://127.0.0.1:${receiverPort}/hook/secret-token-in-path`,
    SAFEKEEP_HEARTBEAT: `http://127.0.0.1:${receiverPort}/beat`,
  };
  service = new SafekeepProcess(['--config', 'safekeep.json', '--http', '127.0.0.1:0'], folder, [], BUILT_ARGV, env);
  const [, httpPort] = await service.waitFor('stdout', /status page at http:\/\/127\.0\.0\.1:(\d+)\//);
  httpBase = `http://127.0.0.1:${httpPort}`;
  client = await JsonClient.connect(port);
});

after(async () => {
  client?.close();
  await service?.stop('SIGKILL');
  await receiver?.close();
});

describe('every operations feature at once, on one real service (built command)', () => {
  it('a good run: heartbeat pinged, /metrics counts it, status exits 0, the log file has the job id', async () => {
    await client.ok({ type: 'backup.run', job: 'notes.txt' });
    const beat = await receiver.waitFor((item) => item.url === '/beat');
    assert.equal(beat.method, 'GET');

    const health = await fetch(`${httpBase}/healthz`);
    assert.equal(health.status, 200);

    const scrape = await fetch(`${httpBase}/metrics`);
    assert.equal(scrape.status, 200);
    assert.match(scrape.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const { samples } = readMetrics(await scrape.text());
    assert.ok((valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'copied' }) ?? 0) >= 1);
    assert.equal(valueOf(samples, 'safekeep_requests_total', { dialect: 'json', type: 'backup.run', outcome: 'ok' }), 1);
    assert.equal(valueOf(samples, 'safekeep_connections_open'), 1);
    assert.ok((valueOf(samples, 'safekeep_backup_last_success_timestamp_seconds', { job: 'notes.txt' }) ?? 0) > 1e9);

    const status = await safekeep('status', '--config', 'safekeep.json');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /\nnotes\.txt +scheduled /);

    // Relative to the config file's folder.
    const log = await readFile(path.join(folder, 'logs', 'safekeep.log'), 'utf8');
    const records = log.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.event === 'backup.completed' && record.jobId === 'notes.txt' && typeof record.runId === 'string'));
  });

  it('a failed run: the webhook is told (its token never logged), /metrics counts it, status exits 3', async () => {
    await rm(path.join(folder, 'notes.txt'));
    await client.fails({ type: 'backup.run', job: 'notes.txt' });
    const hook = await receiver.waitFor((item) => item.url === '/hook/secret-token-in-path');
    assert.equal(hook.method, 'POST');
    const notice = JSON.parse(hook.body) as { event: string; job: string; error: { code: string } };
    assert.equal(notice.event, 'backup.failed');
    assert.equal(notice.job, 'notes.txt');

    const { samples } = readMetrics(await (await fetch(`${httpBase}/metrics`)).text());
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'failed' }), 1);

    const status = await safekeep('status', '--config', 'safekeep.json');
    assert.equal(status.code, 3, status.stdout);

    const page = await (await fetch(`${httpBase}/api/status`)).json() as { jobs: { id: string; lastRun: { outcome: string } | null }[] };
    assert.equal(page.jobs[0]?.lastRun?.outcome, 'failed');

    const log = await readFile(path.join(folder, 'logs', 'safekeep.log'), 'utf8');
    assert.doesNotMatch(service.stdout + service.stderr + log, /secret-token-in-path/);
  });
});
