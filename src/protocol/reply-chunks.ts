import { revealed, type Secret } from '../secret/secret.ts';

/**
 * A reply too large to build as one string (the seed's `check_users` at
 * 100,000 users is megabytes): its text, rendered a chunk at a time as the
 * socket takes it, so the service never holds the whole reply at once. Each
 * pass over it renders afresh, so more than one reader may take it whole.
 *
 * @example
 * const reply = new ReplyChunks(() => ['{"users": [', '"ann"', ']}\n']);
 * [...reply].join(''); // '{"users": ["ann"]}\n'
 */
export class ReplyChunks implements Iterable<string> {
  readonly #render: () => Iterable<string>;

  constructor(render: () => Iterable<string>) {
    this.#render = render;
  }

  [Symbol.iterator](): Iterator<string> {
    return this.#render()[Symbol.iterator]();
  }
}

/** What a reply's text may be: a string, a Secret holding one, or a streamed reply's chunks. */
export type ReplyText = string | Secret | ReplyChunks;

/**
 * The whole text of a reply, for the few readers that need it at once: a
 * recording (a test tool) and the seed's one-shot `--reply-to` channel. The
 * socket writes chunks as they come instead.
 */
export function wholeReplyText(text: ReplyText): string {
  if (!(text instanceof ReplyChunks)) return revealed(text);
  let whole = '';
  for (const chunk of text) whole += chunk;
  return whole;
}
