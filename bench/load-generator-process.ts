import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HoldOrder, LoadGeneratorAnswer, LoadGeneratorOrder, LoadOrder, LoadResult } from './load-generator.ts';

const SCRIPT = fileURLToPath(new URL('./load-generator.ts', import.meta.url));
/** How long past an order's own duration the generator may take to answer before the bench gives up on it. */
const ANSWER_LIMIT_MS = 60_000;

/** The bench's handle on its load generator child (bench/load-generator.ts). */
export class LoadGeneratorProcess {
  readonly #child: ChildProcess;

  constructor() {
    this.#child = fork(SCRIPT, [], { execArgv: ['--import', import.meta.resolve('tsx')], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  get pid(): number {
    return this.#child.pid as number;
  }

  async load(order: Omit<LoadOrder, 'kind'>): Promise<LoadResult> {
    const answer = await this.#order({ kind: 'load', ...order }, order.durationMs);
    if (answer.kind !== 'loaded') throw new Error(`the load generator answered ${answer.kind}`);
    return answer;
  }

  async hold(order: Omit<HoldOrder, 'kind'>): Promise<void> {
    await this.#order({ kind: 'hold', ...order }, 0);
  }

  async release(): Promise<void> {
    await this.#order({ kind: 'release' }, 0);
  }

  stop(): void {
    this.#child.kill();
  }

  #order(order: LoadGeneratorOrder, durationMs: number): Promise<LoadGeneratorAnswer> {
    return new Promise((resolve, reject) => {
      const settle = (answer: LoadGeneratorAnswer | Error) => {
        clearTimeout(timer);
        this.#child.off('message', settle);
        this.#child.off('exit', exited);
        if (answer instanceof Error) reject(answer);
        else if (answer.kind === 'failed') reject(new Error(`load generator: ${answer.message}`));
        else resolve(answer);
      };
      const exited = () => settle(new Error('the load generator exited'));
      const timer = setTimeout(() => settle(new Error(`the load generator did not answer a ${order.kind} order`)), durationMs + ANSWER_LIMIT_MS);
      this.#child.on('message', settle);
      this.#child.once('exit', exited);
      this.#child.send(order);
    });
  }
}
