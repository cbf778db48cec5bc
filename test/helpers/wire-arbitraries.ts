import fc from 'fast-check';

/** How many cases a fuzz property runs: `FUZZ_RUNS` (the chaos suite sets 1 000 000), else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const asked = Number(process.env['FUZZ_RUNS']);
  return Number.isInteger(asked) && asked > 0 ? asked : fallback;
}

const TOKENS = [
  '{', '}', '[', ']', '"', '\\', ':', ',', ' ', '\n', '\r\n', 'revert', 'backup', 'REVERT ', 'notes.json',
  '{"message": "number_of_users"}', '{"type": "users.count", "id": 1}', '{"message": "save_password", "password": "pw"}',
  '"__proto__"', '"constructor"', 'null', '1e999', '"\\u0000"', 'é', '🔑',
].map((token) => Buffer.from(token));

/** Bytes a hostile client might send: protocol-shaped pieces, invalid UTF-8 and plain noise, mixed. */
export const wireBytes = (maxPieces = 60): fc.Arbitrary<Buffer> =>
  fc
    .array(
      fc.oneof(
        { weight: 5, arbitrary: fc.constantFrom(...TOKENS) },
        { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0xff]), Buffer.from([0xc3]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0x80])) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }).map((bytes) => Buffer.from(bytes)) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((n) => Buffer.from('['.repeat(n))) },
      ),
      { maxLength: maxPieces },
    )
    .map((pieces) => Buffer.concat(pieces));

/** A stream and the read boundaries to cut it at. */
export const splitStream = (maxPieces = 60): fc.Arbitrary<{ bytes: Buffer; reads: Buffer[] }> =>
  wireBytes(maxPieces).chain((bytes) =>
    fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, bytes.length - 1) }), { maxLength: 12 }).map((cuts) => {
      const points = [0, ...cuts.filter((cut) => cut < bytes.length).sort((a, b) => a - b), bytes.length];
      const reads = points.slice(1).map((end, i) => bytes.subarray(points[i], end)).filter((read) => read.length > 0);
      return { bytes, reads };
    }),
  );
