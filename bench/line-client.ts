import net from 'node:net';

/**
 * A bench client for line-framed replies: one request at a time, each reply
 * read whole up to its line end without searching what came before, so
 * reading a multi-megabyte reply costs the client what it must.
 * `localAddress` picks the client's own address (any 127.x.y.z on loopback),
 * for the per-address login throttle.
 */
export class LineClient {
  readonly #socket: net.Socket;
  #chunks: Buffer[] = [];
  #waiting: { resolve(line: string): void; reject(error: Error): void } | null = null;
  #failure: Error | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#received(chunk));
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('the server closed the connection')));
  }

  static connect(port: number, localAddress?: string): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true, ...(localAddress ? { localAddress } : {}) }, () => {
        socket.off('error', reject);
        resolve(new LineClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Sends `text` and resolves with the next reply line, without its line end. */
  request(text: string): Promise<string> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(text);
    });
  }

  /** Sends a JSON object and resolves with the parsed reply. */
  async call(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    return JSON.parse(await this.request(JSON.stringify(message))) as Record<string, unknown>;
  }

  close(): void {
    this.#socket.destroy();
  }

  #received(chunk: Buffer): void {
    this.#chunks.push(chunk);
    // One request in flight: its reply ends at the first line end, the last byte of some read.
    if (chunk[chunk.length - 1] !== 0x0a) return;
    const line = Buffer.concat(this.#chunks).toString('utf8');
    this.#chunks = [];
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.resolve(line.slice(0, -1));
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    const waiting = this.#waiting;
    this.#waiting = null;
    waiting?.reject(error);
  }
}
