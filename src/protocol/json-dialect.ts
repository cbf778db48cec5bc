import { randomUUID } from 'node:crypto';
import { BOOK_MESSAGES, checkedField, parseBookRequest, type BookRequest } from '../book/book-messages.ts';
import { InvalidFieldError, InvalidJsonError, InvalidMessageError } from '../book/errors.ts';
import { SafekeepError, type ErrorShape } from '../errors/safekeep-error.ts';
import { Secret, SecretJsonText } from '../secret/secret.ts';
import { backupReply, isBackupMessageType, parseBackupMessage } from './backup-messages.ts';
import type { CommandResult } from './commands.ts';
import type { DialectCodec, ParseOutcome } from './dialect.ts';
import { edgeProblemError } from './edge-problems.ts';
import { InvalidEncodingError, RequestTooLongError } from './errors.ts';
import type { JsonRequestReceived, RequestReceived } from './messages.ts';
import { pythonJsonDumps } from './python-json.ts';
import { pythonJsonDumpsInChunks } from './python-json-chunks.ts';
import type { ReplyText } from './reply-chunks.ts';

/** The seed's reply to anything it did not understand, to the byte. */
const SEED_INVALID = { message: 'Invalid message!' } as const;
const MAX_ID_LENGTH = 128;

/** Errors that mean "this message was not understood": the seed answered all of them with `Invalid message!`. */
const NOT_UNDERSTOOD = new Set(['INVALID_JSON', 'INVALID_MESSAGE', 'UNKNOWN_TYPE', 'INVALID_FIELD', 'INVALID_ENCODING', 'REQUEST_TOO_LONG', 'REQUEST_TOO_DEEP', 'REQUEST_TOO_SLOW']);

/**
 * The JSON dialect: the password book's seed messages (`"message"` key, with
 * the seed's exact replies) and the typed extension messages (`"type"` key,
 * optional `"id"` echoed, `"ok"` with `"result"` or `"error"`). Each reply is
 * one object and a line end. Replies that carry a token or a password are
 * Secrets until the socket writes them.
 */
/**
 * JSON text of `value` with each Secret's value written in. A reply with
 * secrets comes back as a SecretJsonText, so it stays a Secret on the bus
 * while a recording can still tell the secrets inside it apart.
 */
function stringifyWithSecrets(value: unknown): string | Secret {
  // Stands in for each Secret while stringifying: random, so no text a client sent can look like one.
  const markerPrefix = `secret:${randomUUID()}:`;
  const secrets: Secret[] = [];
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
    // JSON.stringify has already called Secret#toJSON; the holder still has the Secret itself.
    const original = this[key];
    if (!(original instanceof Secret)) return replaced;
    secrets.push(original);
    return `${markerPrefix}${secrets.length - 1}`;
  });
  if (secrets.length === 0) return line(text);
  const pieces: string[] = [];
  let rest = line(text);
  secrets.forEach((_, index) => {
    const quotedMarker = JSON.stringify(`${markerPrefix}${index}`);
    const at = rest.indexOf(quotedMarker);
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at + quotedMarker.length);
  });
  pieces.push(rest);
  return new SecretJsonText(pieces, secrets);
}

export const jsonDialect: DialectCodec = {
  parse(request): ParseOutcome {
    try {
      const body = bodyOf(request);
      if (body !== null && request.dialect === 'json' && request.problem === undefined && isBackupMessageType(body['type'])) {
        checkId(body['id']);
        return { ok: true, command: parseBackupMessage(body, ['id']) };
      }
      return { ok: true, command: { kind: 'book', request: toBookRequest(request) } };
    } catch (error) {
      if (error instanceof SafekeepError) return { ok: false, error: error.toShape() };
      throw error;
    }
  },

  renderResult(request, result: CommandResult): ReplyText {
    const backup = backupReply(result);
    const extension = bodyOf(request);
    if (backup && extension !== null && isExtension(extension)) return line(JSON.stringify({ ...echoedId(extension), type: backup.type, ok: true, result: backup.result }));
    if (result.kind !== 'book') return renderError(request, { code: 'INTERNAL', message: `No JSON reply for ${result.kind}` });
    const body = bodyOf(request);
    if (body === null || !isExtension(body)) {
      switch (result.type) {
        case 'pending.add':
          return line(pythonJsonDumps({ message: 'Password saved!' }));
        case 'users.count':
          return line(pythonJsonDumps({ message: 'return_number_of_users', number_of_users: (result.result as { count: number }).count }));
        case 'users.list':
          // Megabytes at 100,000 users: rendered as the socket takes it, never whole.
          return pythonJsonDumpsInChunks({ message: 'return_check_users' }, 'users', (result.result as { users: readonly unknown[] }).users, '\n');
        default:
          return line(pythonJsonDumps(SEED_INVALID));
      }
    }
    return stringifyWithSecrets({ ...echoedId(body), type: result.type, ok: true, result: result.result });
  },

  renderError,

  isSeedMessage(request) {
    const body = bodyOf(request);
    return body !== null && !isExtension(body);
  },
};

function renderError(request: RequestReceived, error: ErrorShape): string {
  const body = bodyOf(request);
  if (body !== null && isExtension(body)) {
    const type = typeof body['type'] === 'string' && (Object.hasOwn(BOOK_MESSAGES, body['type']) || isBackupMessageType(body['type'])) ? { type: body['type'] } : {};
    return line(JSON.stringify({ ...echoedId(body), ...type, ok: false, error: { code: error.code, message: error.message } }));
  }
  if (body !== null && NOT_UNDERSTOOD.has(error.code)) return line(pythonJsonDumps(SEED_INVALID));
  // Not even an object (or a seed message that failed for another reason): a seed client still reads
  // `message`; a newer one also gets the code.
  const message = NOT_UNDERSTOOD.has(error.code) ? SEED_INVALID.message : 'Error';
  return line(pythonJsonDumps({ message, ok: false, error: { code: error.code, message: error.message } }));
}

function toBookRequest(request: RequestReceived): BookRequest {
  if (request.dialect !== 'json') throw new InvalidMessageError('Not a JSON-dialect request');
  switch (request.problem) {
    case 'too-deep':
    case 'too-slow':
    case 'too-many-connections':
      throw edgeProblemError(request.problem) as SafekeepError;
    case 'too-long':
      throw new RequestTooLongError('Request too long.');
    case 'invalid-utf8':
      throw new InvalidEncodingError('The request is not valid UTF-8.');
    case 'invalid-json':
      throw new InvalidJsonError('The request is not valid JSON.');
    case 'not-an-object':
      throw new InvalidMessageError('A request must be a JSON object.');
    case undefined:
      break;
  }
  const body = request.body;
  if (body === null) throw new InvalidJsonError('The request is not valid JSON.');
  if (isExtension(body)) {
    checkId(body['id']);
    return parseBookRequest(body, ['id']);
  }
  return seedRequest(body);
}

/** The seed's three messages, mapped onto their typed equivalents. Extra fields are ignored, as the seed did. */
function seedRequest(body: Readonly<Record<string, unknown>>): BookRequest {
  switch (body['message']) {
    case 'save_password': {
      const password = checkedField('password', body['password']) as Secret;
      const token = body['token'] === undefined ? {} : { token: checkedField('token', body['token']) as Secret };
      const name = body['name'] === undefined ? {} : { name: checkedField('name', body['name']) as string };
      return { type: 'pending.add', password, ...token, ...name };
    }
    case 'number_of_users':
      return { type: 'users.count' };
    case 'check_users':
      return { type: 'users.list' };
    default:
      throw new InvalidMessageError('Invalid message!');
  }
}

const isValidId = (id: unknown): boolean =>
  (typeof id === 'string' && id.length <= MAX_ID_LENGTH) || (typeof id === 'number' && Number.isFinite(id));

function checkId(id: unknown): void {
  if (id !== undefined && !isValidId(id)) {
    throw new InvalidFieldError(`The field 'id' must be a string of at most ${MAX_ID_LENGTH} characters or a number`);
  }
}

/** The client's id, to echo on the reply; an invalid one is not echoed. */
function echoedId(body: Readonly<Record<string, unknown>>): { id?: unknown } {
  return isValidId(body['id']) ? { id: body['id'] } : {};
}

function bodyOf(request: RequestReceived): Readonly<Record<string, unknown>> | null {
  return request.dialect === 'json' ? (request as JsonRequestReceived).body : null;
}

/** An extension message is any object with a `type` key; everything else is spoken in the seed's terms. */
function isExtension(body: Readonly<Record<string, unknown>>): boolean {
  return Object.hasOwn(body, 'type');
}

function line(text: string): string {
  return `${text}\n`;
}
