import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { Command, CommandResult } from './commands.ts';
import type { RequestReceived } from './messages.ts';
import type { ReplyText } from './reply-chunks.ts';

export type ParseOutcome = { readonly ok: true; readonly command: Command } | { readonly ok: false; readonly error: ErrorShape };

/**
 * One wire dialect: how a received request becomes a Command and how a result
 * or an error becomes the reply text. Pure functions, no IO.
 */
export interface DialectCodec {
  parse(request: RequestReceived): ParseOutcome;
  /** A Secret when the reply carries one (a session token, a stored password); chunks when it is too large to build whole. */
  renderResult(request: RequestReceived, result: CommandResult): ReplyText;
  renderError(request: RequestReceived, error: ErrorShape): string;
  /** True for requests whose replies also go out over the seed's reply channel. */
  isSeedMessage?(request: RequestReceived): boolean;
}
