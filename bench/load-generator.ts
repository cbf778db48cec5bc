import net from 'node:net';

/**
 * The load generator of the wire-speed bench, in a child process of its own
 * (`fork`) so that it has a core to itself and neither the bench's bookkeeping
 * nor the server shares its event loop. The same code drives safekeep and the
 * baseline. Orders come over IPC, one at a time; each answer is one message.
 */

/** Keep `connections` open, each sending `depth` requests in one write and waiting for their `depth` replies before the next write. */
export interface LoadOrder {
  readonly kind: 'load';
  readonly port: number;
  readonly request: string;
  readonly connections: number;
  readonly depth: number;
  readonly durationMs: number;
}

/** Open `connections`, send one request on each, wait for every reply and keep them all open. */
export interface HoldOrder {
  readonly kind: 'hold';
  readonly port: number;
  readonly request: string;
  readonly connections: number;
}

export interface ReleaseOrder {
  readonly kind: 'release';
}

export type LoadGeneratorOrder = LoadOrder | HoldOrder | ReleaseOrder;

export interface LoadResult {
  readonly kind: 'loaded';
  /** Replies received before the deadline. */
  readonly replies: number;
  readonly seconds: number;
  /** Median time from a write to each of its replies. */
  readonly p50Us: number;
  /** CPU time this process used during the run: near `seconds × 1000` means the generator, not the server, set the pace. */
  readonly cpuMs: number;
  /** The first reply line, to check that it is the answer expected and not an error. */
  readonly sample: string;
}

export type LoadGeneratorAnswer = LoadResult | { readonly kind: 'held' } | { readonly kind: 'released' } | { readonly kind: 'failed'; readonly message: string };

const NEWLINE = 0x0a;
/** Connections opened at once while holding many: below the listener's backlog, so no SYN is dropped and retried a second later. */
const CONNECT_WAVE = 100;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function firstLine(chunk: Buffer): string {
  const end = chunk.indexOf(NEWLINE);
  return chunk.toString('utf8', 0, end === -1 ? chunk.length : end);
}

async function load(order: LoadOrder): Promise<LoadResult> {
  const batch = Buffer.from(order.request.repeat(order.depth));
  const sockets = await Promise.all(Array.from({ length: order.connections }, () => connect(order.port)));
  const latencies: number[] = [];
  let replies = 0;
  let sample = '';
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const deadline = started + order.durationMs;
  await Promise.all(
    sockets.map(
      (socket) =>
        new Promise<void>((resolve, reject) => {
          let awaiting = 0;
          let sentAt = 0;
          const send = () => {
            awaiting = order.depth;
            sentAt = performance.now();
            socket.write(batch);
          };
          socket.on('data', (chunk: Buffer) => {
            const now = performance.now();
            if (sample === '') sample = firstLine(chunk);
            for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, at + 1)) {
              awaiting--;
              if (now <= deadline) {
                replies++;
                latencies.push(now - sentAt);
              }
            }
            if (awaiting < 0) reject(new Error(`more replies than requests; the first reply was ${JSON.stringify(sample)}`));
            else if (awaiting > 0) return;
            else if (now < deadline) send();
            else {
              socket.destroy();
              resolve();
            }
          });
          socket.on('error', reject);
          socket.on('close', () => reject(new Error(`the server closed a connection with ${awaiting} replies outstanding; the first reply was ${JSON.stringify(sample)}`)));
          send();
        }),
    ),
  ).finally(() => {
    for (const socket of sockets) socket.destroy();
  });
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    kind: 'loaded',
    replies,
    seconds: order.durationMs / 1_000,
    p50Us: (latencies[Math.floor(latencies.length / 2)] ?? Number.NaN) * 1_000,
    cpuMs: (cpu.user + cpu.system) / 1_000,
    sample,
  };
}

const held: net.Socket[] = [];
let dropped = 0;

function requestOnce(socket: net.Socket, request: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      if (chunk[chunk.length - 1] !== NEWLINE) return;
      socket.off('data', onData);
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(request);
  });
}

async function hold(order: HoldOrder): Promise<void> {
  for (let opened = 0; opened < order.connections; opened += CONNECT_WAVE) {
    const wave = await Promise.all(Array.from({ length: Math.min(CONNECT_WAVE, order.connections - opened) }, () => connect(order.port)));
    held.push(...wave);
    await Promise.all(wave.map((socket) => requestOnce(socket, order.request)));
  }
  // A held connection the server dropped would only make the server look leaner: counted, and `release` fails on it.
  for (const socket of held) {
    socket.on('error', () => undefined);
    socket.once('close', () => dropped++);
  }
}

function release(): void {
  const count = held.length;
  for (const socket of held.splice(0)) {
    socket.removeAllListeners('close');
    socket.on('error', () => undefined);
    socket.destroy();
  }
  const droppedBefore = dropped;
  dropped = 0;
  if (droppedBefore > 0) throw new Error(`the server closed ${droppedBefore} of ${count} held connections`);
}

async function answer(order: LoadGeneratorOrder): Promise<LoadGeneratorAnswer> {
  switch (order.kind) {
    case 'load':
      return load(order);
    case 'hold':
      await hold(order);
      return { kind: 'held' };
    case 'release':
      release();
      return { kind: 'released' };
  }
}

process.on('message', (order: LoadGeneratorOrder) => {
  answer(order).then(
    (reply) => process.send?.(reply),
    (error: unknown) => process.send?.({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }),
  );
});
// The bench went away (finished or failed): so does its load.
process.on('disconnect', () => process.exit(0));
