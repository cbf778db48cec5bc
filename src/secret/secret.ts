import { inspect } from 'node:util';

const REDACTED = '[secret]';

/**
 * A password, token or reply that must never be printed, logged or written by
 * accident. It travels on the bus in place of the plain string: serialised,
 * inspected or concatenated it shows only `[secret]`, and the one who needs
 * the value (the book, the socket writing a reply to its owner) calls
 * `reveal()`.
 *
 * @example
 * const secret = new Secret('hunter2');
 * JSON.stringify({ secret }); // '{"secret":"[secret]"}'
 * secret.reveal(); // 'hunter2'
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

/** The text of a value that may be a Secret, for the few places allowed to see it. */
export function revealed(value: string | Secret): string {
  return typeof value === 'string' ? value : value.reveal();
}

/**
 * JSON text with secrets inside it (a reply holding a session token), kept as
 * its pieces: the text between the secrets, and the secrets, each written as
 * a JSON string. It is a Secret like any other; the pieces let a recording
 * replace each secret inside by its own placeholder, so the token a client
 * sends back later is recognised as the same secret.
 */
export class SecretJsonText extends Secret {
  /** The text around the secrets: one more piece than there are secrets. */
  readonly pieces: readonly string[];
  readonly secrets: readonly Secret[];

  constructor(pieces: readonly string[], secrets: readonly Secret[]) {
    if (pieces.length !== secrets.length + 1) throw new RangeError('SecretJsonText needs one more piece than secrets');
    super(pieces.reduce((text, piece, index) => text + JSON.stringify(secrets[index - 1]?.reveal()) + piece));
    this.pieces = pieces;
    this.secrets = secrets;
  }
}
