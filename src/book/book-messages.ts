import { Secret } from '../secret/secret.ts';
import { InvalidFieldError, UnknownTypeError } from './errors.ts';

/**
 * The password book's typed messages, as data. The validator, the secret
 * redaction at the socket edge and the README's message table all read these
 * declarations, so what is documented is what is checked.
 */

/** Every field a message may carry, with its limits. Secret fields travel as `Secret`, never as plain strings. */
export const FIELD_RULES = {
  username: { minLength: 1, maxLength: 64, secret: false, doc: '1–64 characters, no control characters, no spaces at either end' },
  masterPassword: { minLength: 1, maxLength: 1024, secret: true, doc: 'the master password (a new one needs at least 8 characters)' },
  newMasterPassword: { minLength: 1, maxLength: 1024, secret: true, doc: 'the new master password, at least 8 characters' },
  token: { minLength: 1, maxLength: 128, secret: true, doc: 'a session token from `session.login`' },
  name: { minLength: 1, maxLength: 256, secret: false, doc: 'an entry name, 1–256 characters, unique in the book' },
  newName: { minLength: 1, maxLength: 256, secret: false, doc: 'the entry’s new name' },
  password: { minLength: 1, maxLength: 4096, secret: true, doc: 'the password to keep, 1–4096 characters' },
  pendingId: { minLength: 1, maxLength: 64, secret: false, doc: 'which inbox password (default: the newest)' },
  entryId: { minLength: 1, maxLength: 64, secret: false, doc: 'an entry’s id from `entry.list` (a damaged entry has no readable name, only its id)' },
  deviceToken: {
    minLength: 1,
    maxLength: 256,
    secret: true,
    doc: 'the device token an earlier `session.login` of this user returned on this device: its logins draw on its own attempt budget, which no one else’s failures use up',
  },
} as const;

export type FieldName = keyof typeof FIELD_RULES;
type SecretFieldName = { [F in FieldName]: (typeof FIELD_RULES)[F]['secret'] extends true ? F : never }[FieldName];

/** Field names whose values are secrets wherever they appear in a request. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(
  (Object.keys(FIELD_RULES) as FieldName[]).filter((field) => FIELD_RULES[field].secret),
);

type Presence = 'required' | 'optional';

interface MessageSpec {
  readonly summary: string;
  readonly fields: Partial<Record<FieldName, Presence>>;
  /** Groups of optional fields of which a request must carry exactly one. */
  readonly oneOf?: readonly (readonly FieldName[])[];
  /** Result fields and what they hold, for the documentation. */
  readonly result: Readonly<Record<string, string>>;
  readonly errors: readonly string[];
}

const SESSION_ERRORS = ['SESSION_INVALID'] as const;

/** The extension messages: `{"type": …, "id"?: …, …fields}`. */
export const BOOK_MESSAGES = {
  'user.register': {
    summary: 'Register a user with a master password.',
    fields: { username: 'required', masterPassword: 'required' },
    result: { username: 'the registered username' },
    errors: ['USERNAME_TAKEN', 'WEAK_MASTER_PASSWORD', 'LOGIN_THROTTLED'],
  },
  'session.login': {
    summary:
      'Open the book: returns a session token for the other messages, and a device token to keep and send with later logins from this device (an invalid one counts as none).',
    fields: { username: 'required', masterPassword: 'required', deviceToken: 'optional' },
    result: {
      token: 'session token (secret)',
      expiresAt: 'when the session ends, ms since the epoch',
      deviceToken: 'device token for this user on this device (secret; the one sent, when it was valid); it outlives sessions and restarts',
    },
    errors: ['LOGIN_FAILED', 'LOGIN_THROTTLED', 'CREDENTIALS_DAMAGED'],
  },
  'session.logout': {
    summary: 'End a session; its token stops working at once.',
    fields: { token: 'required' },
    result: {},
    errors: [],
  },
  'user.change_password': {
    summary: 'Change the master password (the current one is asked again); other sessions end.',
    fields: { token: 'required', masterPassword: 'required', newMasterPassword: 'required' },
    result: {},
    errors: [...SESSION_ERRORS, 'LOGIN_FAILED', 'LOGIN_THROTTLED', 'WEAK_MASTER_PASSWORD', 'CREDENTIALS_DAMAGED'],
  },
  'entry.add': {
    summary: 'Add a named password to the book.',
    fields: { token: 'required', name: 'required', password: 'required' },
    result: { name: 'the entry name' },
    errors: [...SESSION_ERRORS, 'ENTRY_EXISTS'],
  },
  'entry.list': {
    summary: 'The names in the book (no passwords), and apart from them the entries that are damaged.',
    fields: { token: 'required' },
    result: {
      entries: 'array of `{name, entryId, createdAt, updatedAt}`, by name',
      damaged: 'array of `{entryId, createdAt, updatedAt}`: entries that failed their integrity check (no name can be read; times are `null` when unreadable); delete them by `entryId`',
    },
    errors: [...SESSION_ERRORS],
  },
  'entry.get': {
    summary: 'One entry with its password (to its owner only).',
    fields: { token: 'required', name: 'required' },
    result: { name: 'the entry name', password: 'the password (secret)', createdAt: 'ms since the epoch', updatedAt: 'ms since the epoch' },
    errors: [...SESSION_ERRORS, 'ENTRY_NOT_FOUND'],
  },
  'entry.rename': {
    summary: 'Rename an entry.',
    fields: { token: 'required', name: 'required', newName: 'required' },
    result: { name: 'the new name' },
    errors: [...SESSION_ERRORS, 'ENTRY_NOT_FOUND', 'ENTRY_EXISTS'],
  },
  'entry.delete': {
    summary: 'Delete an entry, by `name` or by `entryId` (exactly one; a damaged entry only has its id).',
    fields: { token: 'required', name: 'optional', entryId: 'optional' },
    oneOf: [['name', 'entryId']],
    result: {},
    errors: [...SESSION_ERRORS, 'ENTRY_NOT_FOUND', 'ENTRY_ID_AMBIGUOUS'],
  },
  'pending.add': {
    summary: 'What `save_password` does: put a generated password in the inbox, or with a valid token and a free name straight into that book.',
    fields: { password: 'required', token: 'optional', name: 'optional' },
    result: { filedIn: '`"inbox"` or `"book"`', pendingId: 'inbox id (when filed in the inbox)', name: 'entry name (when filed in the book)' },
    errors: [],
  },
  'pending.list': {
    summary: 'The generated passwords waiting in the inbox (ids and times, no passwords).',
    fields: { token: 'required' },
    result: {
      pending: 'array of `{pendingId, receivedAt}`, newest first',
      damaged: 'array of `{pendingId, receivedAt}` that failed their integrity check and cannot be filed (`receivedAt` is `null` when unreadable)',
    },
    errors: [...SESSION_ERRORS],
  },
  'pending.file': {
    summary: '"Add Generated Password": file an inbox password into your book under a name.',
    fields: { token: 'required', name: 'required', pendingId: 'optional' },
    result: { name: 'the entry name' },
    errors: [...SESSION_ERRORS, 'NO_PENDING_PASSWORD', 'ENTRY_EXISTS', 'VAULT_INTEGRITY'],
  },
  'users.count': {
    summary: 'How many users are registered (`number_of_users`).',
    fields: {},
    result: { count: 'an integer' },
    errors: [],
  },
  'users.list': {
    summary: 'Registered usernames, sorted (`check_users`); never a password.',
    fields: {},
    result: { users: 'array of `{username}`' },
    errors: [],
  },
} as const satisfies Record<string, MessageSpec>;

/** Errors any message can get. */
export const COMMON_ERRORS = ['INVALID_JSON', 'INVALID_MESSAGE', 'UNKNOWN_TYPE', 'INVALID_FIELD', 'REQUEST_TOO_LONG', 'INVALID_ENCODING', 'REQUEST_TIMEOUT', 'STORE_WRITE_FAILED', 'STORE_UNAVAILABLE', 'INTERNAL'] as const;

export type BookMessageType = keyof typeof BOOK_MESSAGES;
type FieldsOf<T extends BookMessageType> = (typeof BOOK_MESSAGES)[T]['fields'];
type ValueOf<F> = F extends SecretFieldName ? Secret : string;

/** One typed request, e.g. `{ type: 'entry.get', token: Secret, name: string }`. */
export type BookRequestOf<T extends BookMessageType> = { readonly type: T } & {
  readonly [F in keyof FieldsOf<T> as FieldsOf<T>[F] extends 'required' ? F : never]: ValueOf<F>;
} & {
  readonly [F in keyof FieldsOf<T> as FieldsOf<T>[F] extends 'optional' ? F : never]?: ValueOf<F>;
};

export type BookRequest = { [T in BookMessageType]: BookRequestOf<T> }[BookMessageType];

/** What each message answers with. */
export interface BookResults {
  'user.register': { username: string };
  'session.login': { token: Secret; expiresAt: number; deviceToken: Secret };
  'session.logout': Record<string, never>;
  'user.change_password': Record<string, never>;
  'entry.add': { name: string };
  'entry.list': {
    entries: { name: string; entryId: string; createdAt: number; updatedAt: number }[];
    damaged: { entryId: string; createdAt: number | null; updatedAt: number | null }[];
  };
  'entry.get': { name: string; password: Secret; createdAt: number; updatedAt: number };
  'entry.rename': { name: string };
  'entry.delete': Record<string, never>;
  'pending.add': { filedIn: 'inbox'; pendingId: string } | { filedIn: 'book'; name: string };
  'pending.list': { pending: { pendingId: string; receivedAt: number }[]; damaged: { pendingId: string; receivedAt: number | null }[] };
  'pending.file': { name: string };
  'users.count': { count: number };
  'users.list': { users: { username: string }[] };
}

export type BookResult<T extends BookMessageType = BookMessageType> = BookResults[T];

export function isBookMessageType(type: string): type is BookMessageType {
  return Object.hasOwn(BOOK_MESSAGES, type);
}

const CONTROL_CHARACTERS = /\p{Cc}/u;

/**
 * Checks a request object against its message's declaration: known type,
 * every required field present, no unknown field, each a string within its
 * limits. Secret fields may come as Secret (from the socket) or as plain
 * strings (from embedding code); they leave as Secret. Errors name the field,
 * never its value.
 */
export function parseBookRequest(body: Readonly<Record<string, unknown>>, ignoredFields: readonly string[] = []): BookRequest {
  const type = body['type'];
  if (typeof type !== 'string' || !isBookMessageType(type)) {
    throw new UnknownTypeError(typeof type === 'string' && type.length <= 64 ? `Unknown message type '${type}'` : 'Unknown message type');
  }
  const fields: Partial<Record<FieldName, Presence>> = BOOK_MESSAGES[type].fields;
  const request: Record<string, unknown> = { type };
  for (const key of Object.keys(body)) {
    if (key !== 'type' && !ignoredFields.includes(key) && !Object.hasOwn(fields, key)) {
      throw new InvalidFieldError(`'${type}' has no field '${key.length <= 64 ? key : `${key.slice(0, 64)}…`}'`);
    }
  }
  for (const [field, presence] of Object.entries(fields) as [FieldName, Presence][]) {
    const value = body[field];
    if (value === undefined) {
      if (presence === 'required') throw new InvalidFieldError(`'${type}' needs the field '${field}'`);
      continue;
    }
    request[field] = checkedField(field, value);
  }
  const spec: MessageSpec = BOOK_MESSAGES[type];
  for (const group of spec.oneOf ?? []) {
    if (group.filter((field) => request[field] !== undefined).length !== 1) {
      throw new InvalidFieldError(`'${type}' needs exactly one of the fields ${group.map((field) => `'${field}'`).join(', ')}`);
    }
  }
  return request as BookRequest;
}

/** One field's value, checked against its rule. */
export function checkedField(field: FieldName, value: unknown): string | Secret {
  const rule = FIELD_RULES[field];
  const text = value instanceof Secret ? value.reveal() : value;
  if (typeof text !== 'string') throw new InvalidFieldError(`The field '${field}' must be a string`);
  if (text.length < rule.minLength || text.length > rule.maxLength) {
    throw new InvalidFieldError(`The field '${field}' must be ${rule.minLength} to ${rule.maxLength} characters long`);
  }
  if (!rule.secret && (CONTROL_CHARACTERS.test(text) || text.trim() !== text)) {
    throw new InvalidFieldError(`The field '${field}' must not hold control characters or start or end with spaces`);
  }
  return rule.secret ? (value instanceof Secret ? value : new Secret(text)) : text.normalize('NFC');
}
