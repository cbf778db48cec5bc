/** One server-sent event as read off the wire. */
export interface ServerEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` response with fetch's body reader: `next(pred)`
 * waits for the next event that satisfies `pred`; `text` is everything
 * received, for tests that search the stream as a whole.
 */
export class EventStreamReader {
  text = '';
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #pending = '';
  readonly #events: ServerEvent[] = [];

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.#reader = response.body.getReader();
  }

  async next(predicate: (event: ServerEvent) => boolean = () => true): Promise<ServerEvent> {
    for (;;) {
      const index = this.#events.findIndex(predicate);
      if (index >= 0) return this.#events.splice(0, index + 1).at(-1) as ServerEvent;
      this.#events.length = 0;
      const { done, value } = await this.#reader.read();
      if (done) throw new Error('the event stream ended');
      const chunk = this.#decoder.decode(value, { stream: true });
      this.text += chunk;
      this.#pending += chunk;
      let end: number;
      while ((end = this.#pending.indexOf('\n\n')) >= 0) {
        const block = this.#pending.slice(0, end);
        this.#pending = this.#pending.slice(end + 2);
        const lines = block.split('\n');
        const event = lines.find((line) => line.startsWith('event: '))?.slice(7);
        const data = lines.filter((line) => line.startsWith('data: ')).map((line) => line.slice(6)).join('\n');
        if (event !== undefined) this.#events.push({ event, data });
      }
    }
  }

  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => undefined);
  }
}
