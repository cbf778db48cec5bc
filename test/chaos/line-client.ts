import net from 'node:net';

/**
 * A client for experiments that break the server under it: one request at a
 * time, and every way the connection can end (refused, reset, closed, no
 * answer in time) is an answer of `null`, never a throw.
 */
export class LineClient {
  readonly #socket: net.Socket;
  #buffer = '';
  #closed = false;
  #wake: (() => void) | null = null;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      this.#wake?.();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#closed = true;
      this.#wake?.();
    });
  }

  /** Connects, or resolves null when nothing listens. */
  static connect(port: number): Promise<LineClient | null> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => resolve(new LineClient(socket)));
      socket.once('error', () => resolve(null));
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends `text` and resolves with the next line, or null if the connection ends or `timeoutMs` passes first. */
  async request(text: string, timeoutMs = 30_000): Promise<string | null> {
    if (this.#closed) return null;
    this.#socket.write(text);
    const deadline = Date.now() + timeoutMs;
    while (!this.#buffer.includes('\n')) {
      if (this.#closed || Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    const end = this.#buffer.indexOf('\n');
    const line = this.#buffer.slice(0, end);
    this.#buffer = this.#buffer.slice(end + 1);
    return line;
  }

  /** A JSON request; the parsed reply, or null. */
  async json(message: Record<string, unknown>, timeoutMs?: number): Promise<Record<string, any> | null> {
    const line = await this.request(`${JSON.stringify(message)}\n`, timeoutMs);
    if (line === null) return null;
    try {
      return JSON.parse(line) as Record<string, any>;
    } catch {
      return { unparsable: line };
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}
