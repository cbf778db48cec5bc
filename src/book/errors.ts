import { SafekeepError } from '../errors/safekeep-error.ts';

/** The request is not valid JSON (the reply never quotes it: it may hold a password). */
export class InvalidJsonError extends SafekeepError {
  readonly code = 'INVALID_JSON';
}

/** The JSON is not an object with a known `message` or a string `type`. */
export class InvalidMessageError extends SafekeepError {
  readonly code = 'INVALID_MESSAGE';
}

/** `type` names no message the book knows. */
export class UnknownTypeError extends SafekeepError {
  readonly code = 'UNKNOWN_TYPE';
}

/** A field is missing, of the wrong type, empty or too long; the message names the field, never its value. */
export class InvalidFieldError extends SafekeepError {
  readonly code = 'INVALID_FIELD';
}

/** Someone is already registered under this username. */
export class UsernameTakenError extends SafekeepError {
  readonly code = 'USERNAME_TAKEN';
}

/** The master password is too short to protect a book. */
export class WeakMasterPasswordError extends SafekeepError {
  readonly code = 'WEAK_MASTER_PASSWORD';
}

/** Wrong username or master password: the two are never told apart. */
export class LoginFailedError extends SafekeepError {
  readonly code = 'LOGIN_FAILED';
}

/** Too many login attempts for this user or from this address; try again later. */
export class LoginThrottledError extends SafekeepError {
  readonly code = 'LOGIN_THROTTLED';
}

/** The session token is unknown, logged out or expired: log in again. */
export class SessionInvalidError extends SafekeepError {
  readonly code = 'SESSION_INVALID';
}

/** The book has no entry of that name. */
export class EntryNotFoundError extends SafekeepError {
  readonly code = 'ENTRY_NOT_FOUND';
}

/**
 * A delete by id that more than one document answers to (a user record restored from an older backup can
 * hand out an id again): deleting whichever came first might delete the intact one, so nothing is deleted.
 */
export class EntryIdAmbiguousError extends SafekeepError {
  readonly code = 'ENTRY_ID_AMBIGUOUS';
}

/** The book already has an entry of that name. */
export class EntryExistsError extends SafekeepError {
  readonly code = 'ENTRY_EXISTS';
}

/** No generated password is waiting in the inbox (or not the one named). */
export class NoPendingPasswordError extends SafekeepError {
  readonly code = 'NO_PENDING_PASSWORD';
}

/** Stored ciphertext failed authentication: the data was altered or moved. Nothing was decrypted. */
export class VaultIntegrityError extends SafekeepError {
  readonly code = 'VAULT_INTEGRITY';
}

/**
 * The user's stored credentials (hash, key derivation, wrapped key) are
 * damaged: that user cannot log in until the record is restored from a
 * backup. Other users are not affected.
 */
export class CredentialsDamagedError extends SafekeepError {
  readonly code = 'CREDENTIALS_DAMAGED';
}

/** The service key file exists but is not a key; it was left untouched. */
export class ServiceKeyInvalidError extends SafekeepError {
  readonly code = 'SERVICE_KEY_INVALID';
}
