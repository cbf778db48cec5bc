/**
 * JSON text exactly as Python's `json.dumps` writes it with its defaults
 * (`", "` and `": "` separators, non-ASCII escaped as lowercase `\uXXXX`).
 * Seed replies use it so a seed client sees byte for byte what the original
 * service sent, in case it ever compared text instead of parsing it.
 *
 * @example
 * pythonJsonDumps({ message: 'Password saved!' }); // '{"message": "Password saved!"}'
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    return `{${fields.map(([key, field]) => `${asciiOnly(JSON.stringify(key))}: ${pythonJsonDumps(field)}`).join(', ')}}`;
  }
  throw new TypeError(`Cannot write a ${typeof value} as JSON`);
}

/** One string as Python's `json.dumps` writes it: JSON-escaped, and every character past ASCII as `\uXXXX`. */
export function pythonJsonString(text: string): string {
  return asciiOnly(JSON.stringify(text));
}

const PAST_ASCII = /[\u007f-\uffff]/;

function asciiOnly(json: string): string {
  // Nearly every key and value is ASCII already: testing first spares the copy `replace` makes.
  if (!PAST_ASCII.test(json)) return json;
  return json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
