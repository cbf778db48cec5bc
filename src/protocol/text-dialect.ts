import { SafekeepError, type ErrorShape } from '../errors/safekeep-error.ts';
import type { CommandResult } from './commands.ts';
import type { DialectCodec, ParseOutcome } from './dialect.ts';
import { edgeProblemError } from './edge-problems.ts';
import { forgetFromWords } from './forget-words.ts';
import { forgetReplyLines } from './forget-text.ts';
import { InvalidEncodingError, InvalidRequestError, RequestTooLongError } from './errors.ts';
import type { RequestReceived } from './messages.ts';

/** Longest piece of a bad request echoed back in the invalid-request reply. */
const MAX_ECHO_CHARS = 1024;

/**
 * The text dialect of the backup seed: one word per request (`backup`,
 * `revert`, `exit`, and the extensions `verify` and `forget JOB [--keep-… N] [--dry-run]`), matched case-insensitively after trimming, with an
 * optional job name as the extension (`revert notes.json`). Replies mirror the
 * request's framing: a line gets a line back, a bare word a bare reply.
 */
export const textDialect: DialectCodec = {
  parse(request): ParseOutcome {
    if (request.dialect !== 'text') return fail(new InvalidRequestError('Invalid request: not a text-dialect request.'));
    if (request.problem === 'too-long') return fail(new RequestTooLongError('Request too long.'));
    if (request.problem === 'invalid-utf8') return fail(new InvalidEncodingError('Invalid request: it is not UTF-8 text.'));
    const edgeError = edgeProblemError(request.problem);
    if (edgeError) return fail(edgeError);
    const [verb = '', ...args] = request.text.trim().split(/\s+/);
    if (verb.toLowerCase() === 'forget') {
      try {
        const forget = forgetFromWords(args);
        if (forget) return { ok: true, command: forget };
      } catch (error) {
        if (error instanceof SafekeepError) return fail(error);
        throw error;
      }
    }
    const job = args.length === 1 ? (args[0] ?? null) : null;
    if (args.length <= 1) {
      switch (verb.toLowerCase()) {
        case 'backup':
          return { ok: true, command: { kind: 'backup.run', job } };
        case 'revert':
          return { ok: true, command: { kind: 'backup.revert', job } };
        case 'exit':
          if (args.length === 0) return { ok: true, command: { kind: 'connection.exit' } };
          break;
        case 'verify':
          if (args.length === 0) return { ok: true, command: { kind: 'backup.verify' } };
          break;
      }
    }
    return fail(new InvalidRequestError(`Invalid request command '${echo(request.text)}' sent.`));
  },

  renderResult(request, result: CommandResult): string {
    switch (result.kind) {
      case 'backup.run':
        return frame(request, 'Backup completed');
      case 'backup.revert':
        return frame(request, result.version ? result.version.path : 'No backup found.');
      case 'backup.verify': {
        const { checked, damaged } = result.report;
        return frame(request, `Verified ${checked} version${checked === 1 ? '' : 's'}: ${damaged} damaged.`);
      }
      case 'backup.forget':
        return frame(request, forgetReplyLines(result.report));
      case 'connection.exit':
        return '';
      case 'book':
      case 'job.add':
      case 'job.pause':
      case 'job.resume':
        // The text dialect never parses these commands, so it never has such a result to show.
        return frame(request, `Error (INTERNAL): no text reply for a ${result.kind} result`);
    }
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
