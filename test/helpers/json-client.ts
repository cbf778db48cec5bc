import { TestClient } from './test-client.ts';

/** A JSON-dialect client: `call` sends one object on its own line and resolves with the parsed reply. */
export class JsonClient {
  readonly raw: TestClient;
  /** Every reply line received, as text, for tests that search them. */
  readonly transcript: string[] = [];

  private constructor(raw: TestClient) {
    this.raw = raw;
  }

  static async connect(port: number): Promise<JsonClient> {
    return new JsonClient(await TestClient.connect(port));
  }

  async call(message: Record<string, unknown>): Promise<Reply> {
    this.raw.send(`${JSON.stringify(message)}\n`);
    const [line = ''] = await this.raw.lines(1);
    this.transcript.push(line);
    return JSON.parse(line) as Reply;
  }

  /** Calls and insists on success; returns the result. */
  async ok(message: Record<string, unknown>): Promise<Record<string, any>> {
    const reply = await this.call(message);
    if (!reply.ok) throw new Error(`${String(message['type'])} failed: ${JSON.stringify(reply.error)}`);
    return reply.result as Record<string, any>;
  }

  /** Calls and insists on failure; returns the error code. */
  async fails(message: Record<string, unknown>): Promise<string> {
    const reply = await this.call(message);
    if (reply.ok !== false) throw new Error(`${String(message['type'])} did not fail: ${JSON.stringify(reply)}`);
    return (reply.error as { code: string }).code;
  }

  close(): void {
    this.raw.destroy();
  }
}

export type Reply = Record<string, any>;
