import net from 'node:net';

/**
 * A raw TCP client for tests. `recv()` resolves with the next chunk that
 * arrives, like Python's `s.recv(1024)`; `lines(n)` with the next n lines.
 */
export class TestClient {
  readonly socket: net.Socket;
  readonly closed: Promise<void>;
  #buffer = '';
  #wake: (() => void) | null = null;
  #ended = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      }),
    );
  }

  static connect(port: number): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new TestClient(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Whatever has arrived by the time at least one byte is there ('' if the server closed first). */
  async recv(): Promise<string> {
    await this.#until(() => this.#buffer.length > 0);
    const data = this.#buffer;
    this.#buffer = '';
    return data;
  }

  async lines(count: number): Promise<string[]> {
    await this.#until(() => this.#buffer.split('\n').length - 1 >= count);
    const parts = this.#buffer.split('\n');
    const lines = parts.slice(0, count);
    this.#buffer = parts.slice(count).join('\n');
    return lines;
  }

  /** Everything until the server closes the connection. */
  async rest(): Promise<string> {
    await this.closed;
    const data = this.#buffer;
    this.#buffer = '';
    return data;
  }

  get isClosed(): boolean {
    return this.#ended;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  async #until(done: () => boolean): Promise<void> {
    while (!done() && !this.#ended) await new Promise<void>((resolve) => (this.#wake = resolve));
    this.#wake = null;
  }
}
