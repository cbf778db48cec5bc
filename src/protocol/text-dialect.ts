import { SafekeepError, type ErrorShape } from '../errors/safekeep-error.ts';
import type { CommandResult } from './commands.ts';
import type { DialectCodec, ParseOutcome } from './dialect.ts';
import { edgeProblemError } from './edge-problems.ts';
import { InvalidEncodingError, InvalidRequestError, RequestTooLongError } from './errors.ts';
import type { RequestReceived } from './messages.ts';
import { textCommand } from './text-commands.ts';
import { textReplyLines } from './text-replies.ts';

/** Longest piece of a bad request echoed back in the invalid-request reply. */
const MAX_ECHO_CHARS = 1024;

/**
 * The text dialect of the backup seed: one request per line (`backup`,
 * `revert`, `exit`, and the extension words of `text-commands.ts`, `forget` among them), words
 * matched case-insensitively after trimming. Replies mirror the request's
 * framing: a line gets a line back, a bare word a bare reply; a reply of
 * several lines says in its first how many follow (`text-replies.ts`).
 */
export const textDialect: DialectCodec = {
  parse(request): ParseOutcome {
    if (request.dialect !== 'text') return fail(new InvalidRequestError('Invalid request: not a text-dialect request.'));
    if (request.problem === 'too-long') return fail(new RequestTooLongError('Request too long.'));
    if (request.problem === 'invalid-utf8') return fail(new InvalidEncodingError('Invalid request: it is not UTF-8 text.'));
    const edgeError = edgeProblemError(request.problem);
    if (edgeError) return fail(edgeError);
    try {
      const command = textCommand(request.text);
      if (command) return { ok: true, command };
    } catch (error) {
      if (error instanceof SafekeepError) return fail(error);
      throw error;
    }
    return fail(new InvalidRequestError(`Invalid request command '${echo(request.text)}' sent.`));
  },

  renderResult(request, result: CommandResult): string {
    const lines = textReplyLines(result);
    return lines.length === 0 ? '' : frame(request, lines.join('\n'));
  },

  renderError(request, error: ErrorShape): string {
    // The seed's own replies stand alone; everything else says which error it is.
    return frame(request, BARE_ERROR_CODES.has(error.code) ? error.message : `Error (${error.code}): ${error.message}`);
  },
};

const BARE_ERROR_CODES = new Set([
  new InvalidRequestError('').code,
  new InvalidEncodingError('').code,
  new RequestTooLongError('').code,
]);

function fail(error: SafekeepError): ParseOutcome {
  return { ok: false, error: error.toShape() };
}

function frame(request: RequestReceived, text: string): string {
  return request.dialect === 'text' && request.framing === 'line' ? `${text}\n` : text;
}

function echo(text: string): string {
  return text.length > MAX_ECHO_CHARS ? `${text.slice(0, MAX_ECHO_CHARS)}…` : text;
}
