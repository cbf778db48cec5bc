import { TIMEOUT_ERROR, type RequestDispatch, type RequestPlan, type RequestStep } from '../../machines/request.machine.ts';
import { toErrorShape, type ErrorShape } from '../errors/safekeep-error.ts';
import type { CommandResult } from '../protocol/commands.ts';
import type { DialectCodec } from '../protocol/dialect.ts';
import type { ReplyReady, RequestReceived } from '../protocol/messages.ts';
import type { ReplyText } from '../protocol/reply-chunks.ts';
import { requestTypeOf, type RequestType } from '../protocol/request-type.ts';

export interface RequestLineDeps {
  /** Starts the command; the answer comes back through `answered` or `failed`. */
  readonly dispatch: (line: RequestLine, step: RequestDispatch) => void;
  /** Puts a reply on the bus. */
  readonly deliver: (reply: ReplyReady) => void;
  /** An unexpected error's own words, for the log (the client is told only a generic sentence). */
  readonly reportFailure: (requestId: string, error: ErrorShape) => void;
  /** The time on the host's clock. */
  readonly now: () => number;
}

/**
 * One connection's requests in their order, as the request flow planned
 * them: one dispatched at a time, each answered (with its result, its error,
 * or REQUEST_TIMEOUT past its deadline) before the next starts, so replies
 * leave in the order the requests came and a request sees what the one
 * before it wrote.
 *
 * @example
 * const line = new RequestLine('conn_1', textDialect, { dispatch, deliver });
 * line.take(planRequests(context, 'conn_1', requests).steps);
 */
export class RequestLine {
  readonly connectionId: string;
  readonly #codec: DialectCodec;
  readonly #deps: RequestLineDeps;
  #steps: RequestStep[] = [];
  #head = 0;
  #current: RequestDispatch | null = null;
  /** `exit` was answered: the connection is closing, and anything more for it is dropped. */
  #exited = false;

  constructor(plan: Pick<RequestPlan, 'connectionId' | 'codec'>, deps: RequestLineDeps) {
    this.connectionId = plan.connectionId;
    this.#codec = plan.codec;
    this.#deps = deps;
  }

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return this.#current === null && this.#head === this.#steps.length;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The deadline of the request running now, or null. */
  get deadline(): number | null {
    return this.#current?.deadline ?? null;
  }

  take(steps: readonly RequestStep[]): void {
    if (this.#exited) return;
    for (const step of steps) this.#steps.push(step);
    this.#advance();
  }

  answered(requestId: string, result: CommandResult): void {
    const current = this.#current;
    if (current?.request.requestId !== requestId) return;
    this.#current = null;
    const text = this.#rendered(current.request, () => this.#codec.renderResult(current.request, result));
    this.#deps.deliver(this.#replyTo(current.request, text, requestTypeOf(current.command), null));
    this.#advance();
  }

  failed(requestId: string, error: ErrorShape): void {
    const current = this.#current;
    if (current?.request.requestId !== requestId) return;
    this.#current = null;
    this.#deliverError(current.request, requestTypeOf(current.command), error);
    this.#advance();
  }

  /** Answers the running request with REQUEST_TIMEOUT if `now` is past its deadline; its late answer is then ignored. */
  expire(now: number): void {
    const current = this.#current;
    if (current && now >= current.deadline) this.failed(current.request.requestId, TIMEOUT_ERROR);
  }

  /** Stops: nothing more is dispatched or answered (`exit` was answered, or the host is stopping). */
  close(): void {
    this.#exited = true;
    this.#current = null;
    this.#steps = [];
    this.#head = 0;
  }

  /** Answers a request with the dialect's error; an unexpected error's own words go to the log, never to the client. */
  #deliverError(request: RequestReceived, type: RequestType, error: ErrorShape): void {
    if (error.detail !== undefined) this.#deps.reportFailure(request.requestId, error);
    this.#deps.deliver(this.#replyTo(request, this.#rendered(request, () => this.#codec.renderError(request, error)), type, error.code));
  }

  /** The reply text, or, if rendering it fails (it never should), the dialect's INTERNAL error: a reply is owed either way. */
  #rendered(request: RequestReceived, render: () => ReplyText): ReplyText {
    try {
      return render();
    } catch (error) {
      const shape = toErrorShape(error);
      this.#deps.reportFailure(request.requestId, shape);
      return this.#codec.renderError(request, { code: shape.code, message: shape.message });
    }
  }

  #advance(): void {
    while (this.#current === null && this.#head < this.#steps.length && !this.#exited) {
      const step = this.#steps[this.#head] as RequestStep;
      this.#head++;
      if (this.#head === this.#steps.length) {
        this.#steps = [];
        this.#head = 0;
      }
      switch (step.kind) {
        case 'reject':
          this.#deliverError(step.request, 'invalid', step.error);
          break;
        case 'exit':
          this.close();
          this.#deps.deliver(this.#replyTo(step.request, '', 'connection.exit', null, true));
          break;
        case 'dispatch':
          // Queued past its deadline (the one before it took that long): answered as timed out, never started late.
          if (this.#deps.now() >= step.deadline) {
            this.#deliverError(step.request, requestTypeOf(step.command), TIMEOUT_ERROR);
            break;
          }
          this.#current = step;
          this.#deps.dispatch(this, step);
          break;
      }
    }
  }

  #replyTo(request: RequestReceived, text: ReplyText, type: RequestType, code: string | null, close = false): ReplyReady {
    const outcome = { dialect: request.dialect, type, code, receivedAt: request.receivedAt };
    // Two literals rather than a spread: this runs once per reply, and a spread copies through a slow path.
    return this.#codec.isSeedMessage?.(request) === true
      ? { connectionId: this.connectionId, requestId: request.requestId, text, close, seedReply: true, outcome }
      : { connectionId: this.connectionId, requestId: request.requestId, text, close, outcome };
  }
}
